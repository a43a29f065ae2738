#!/bin/sh
# Adds the extracted app to your desktop's menu: the .desktop file, its icon and its AppStream data go
# under ~/.local/share (or $XDG_DATA_HOME), and ~/.local/bin/speech-translator links to the executable.
# Run it from the extracted folder; `./install-desktop.sh --remove` takes all of it away again.
set -eu
APP_ID=io.github.offline_speech_translator
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="$HOME/.local/bin"
DESKTOP="$DATA/applications/$APP_ID.desktop"
ICON="$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
METAINFO="$DATA/metainfo/$APP_ID.metainfo.xml"

refresh_caches() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
}

if [ "${1:-}" = "--remove" ]; then
  rm -f "$DESKTOP" "$ICON" "$METAINFO"
  if [ -L "$BIN/speech-translator" ]; then rm -f "$BIN/speech-translator"; fi
  refresh_caches
  echo "removed the menu entry; delete $HERE to remove the app itself"
  exit 0
fi

mkdir -p "$(dirname "$DESKTOP")" "$(dirname "$ICON")" "$(dirname "$METAINFO")" "$BIN"
# The menu starts the executable by its full path, so it works whether or not ~/.local/bin is on PATH.
sed "s|^Exec=speech-translator|Exec=\"$HERE/speech-translator\"|" \
  "$HERE/share/applications/$APP_ID.desktop" > "$DESKTOP"
cp "$HERE/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$ICON"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$METAINFO"
ln -sfn "$HERE/speech-translator" "$BIN/speech-translator"
refresh_caches
echo "installed: 'Offline Speech Translator' is in your applications menu; 'speech-translator' runs it in a terminal"
