#!/usr/bin/env bash
# Quick start: sets everything up, checks the code (ruff lint and format, mypy), then runs the whole test
# suite (extra arguments go to pytest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# The tests start their own virtual sound card (a private PulseAudio server), speak test phrases with
# espeak-ng, and open the window on a virtual screen (Xvfb).
apt_install pulseaudio espeak-ng xvfb
cd "$ROOT"
echo "test: ruff check, ruff format --check, mypy" >&2
"$VENV/bin/ruff" check --quiet .
"$VENV/bin/ruff" format --check --quiet .
"$VENV/bin/mypy"
exec "$VENV/bin/python" -m pytest "$@"
