# Sourced by run.sh and test.sh: makes .venv with the project installed, on a fresh Debian/Ubuntu
# machine too, and puts a `translator` command on the PATH. Idempotent: a second run only checks and returns.
# SETUP_EXTRA names the extra to install with the app: test.sh leaves it at "dev" (pytest, ruff, mypy,
# PyInstaller, matplotlib, the test models); run.sh sets it empty, for the app alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
SETUP_EXTRA="${SETUP_EXTRA-dev}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  # System packages are optional extras for some features; install them only where apt exists.
  local missing=()
  for package in "$@"; do
    # "installed" exactly: a removed package whose config files remain still answers dpkg -s.
    [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages: ${missing[*]}" >&2
  fi
}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "setup: Python 3.10 or newer is needed as '$PYTHON' (set PYTHON=/path/to/python3.x)" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    # Debian and Ubuntu ship venv separately.
    rm -rf "$VENV"
    apt_install "python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
    "$PYTHON" -m venv "$VENV"
  fi
fi

# PortAudio, for sound devices (live translation); the X11 libraries Qt's window needs beyond a base system.
apt_install libportaudio2 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libegl1

# Reinstall only when the project's metadata changed. One stamp per kind of install: the app alone
# (run.sh), or with the dev extra (test.sh), which holds everything the app needs too.
METADATA="$(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"
APP_STAMP="$VENV/.installed-app-$METADATA"
DEV_STAMP="$VENV/.installed-dev-$METADATA"
if [ -n "$SETUP_EXTRA" ]; then
  WANTED="$VENV/.installed-$SETUP_EXTRA-$METADATA"
  SPEC="$ROOT[$SETUP_EXTRA]"
else
  WANTED="$APP_STAMP"
  SPEC="$ROOT"
fi
if [ ! -f "$WANTED" ] && ! { [ -z "$SETUP_EXTRA" ] && [ -f "$DEV_STAMP" ]; }; then
  echo "setup: installing the project${SETUP_EXTRA:+ with its $SETUP_EXTRA extra} into .venv" \
    "(the first run takes a few minutes)" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$SPEC"
  if [ "$(uname -s)" = Linux ]; then
    # Global push-to-talk: pynput's X11 listener, without the evdev it requires (built from source, unused).
    "$VENV/bin/python" -m pip install --quiet --no-deps "pynput>=1.7.6"
  fi
  # Stamps of older metadata go; one of the other kind for this metadata stays true.
  find "$VENV" -maxdepth 1 -name '.installed-*' ! -name "*-$METADATA" -delete
  touch "$WANTED"
  FRESH_INSTALL=1
fi

link_launcher() {
  # `translator ...`, as the README and every hint the app prints say it, in ~/.local/bin when that is on
  # the PATH (most distributions put it there once it exists). Never through sudo, never over a file that
  # is not our own link, and never fatal: the quick start works without it.
  local bin="${HOME:-}/.local/bin" target="$VENV/bin/translator"
  # Only a home folder of the user running this (not the user's home under sudo, not a CI runner's unset HOME).
  [ -n "${HOME:-}" ] && [ -O "$HOME" ] && [ -x "$target" ] || return 0
  local found
  found="$(command -v translator 2>/dev/null || true)"
  if [ "$found" = "$target" ] || [ "$(readlink -f "$found" 2>/dev/null)" = "$target" ]; then return 0; fi
  if [ -n "$found" ] && [ "$found" != "$bin/translator" ]; then
    echo "setup: another 'translator' comes first on your PATH ($found): run $target, or ./scripts/run.sh ARGS" >&2
    return 0
  fi
  case ":$PATH:" in
    *":$bin:"*)
      if [ -e "$bin/translator" ] && [ ! -L "$bin/translator" ]; then
        echo "setup: $bin/translator exists and is not ours: run $target (or ./scripts/run.sh ARGS)" >&2
      elif mkdir -p "$bin" 2>/dev/null && ln -sfn "$target" "$bin/translator" 2>/dev/null; then
        echo "setup: linked $bin/translator to $target" >&2
      fi ;;
    *)
      if [ "${FRESH_INSTALL:-0}" = 1 ]; then  # said once, after the first install, not on every start
        echo "setup: to type 'translator ...' anywhere, put ~/.local/bin on your PATH (in ~/.profile:" \
          "export PATH=\"\$HOME/.local/bin:\$PATH\") and run this again, which links it there;" \
          "meanwhile ./scripts/run.sh ARGS runs 'translator ARGS'" >&2
      fi ;;
  esac
}
link_launcher
