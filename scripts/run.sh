#!/usr/bin/env bash
# Quick start: sets everything up, then opens the app's window. With arguments, runs `translator ARGS`
# instead (for example: ./scripts/run.sh batch talk.mp3 --to de).
set -euo pipefail
SETUP_EXTRA=""  # the app alone: the tests' tools (the dev extra) are test.sh's
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
if [ $# -gt 0 ]; then
  exec "$VENV/bin/translator" "$@"
fi
# The demo models let the whole app be tried at once; the window offers them only until real ones are chosen.
DEMO="$ROOT/.demo-models"
[ -f "$DEMO/demo.toml" ] || "$VENV/bin/translator" demo-models "$DEMO" >&2
exec "$VENV/bin/translator" gui --config "$DEMO/demo.toml"
