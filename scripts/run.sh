#!/usr/bin/env bash
# Quick start: sets everything up, then runs `translator` with the given arguments. With none, it
# builds the demo models and translates the sample recording into German under ./out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
if [ $# -gt 0 ]; then
  exec "$VENV/bin/translator" "$@"
fi
DEMO="$ROOT/.demo-models"
[ -f "$DEMO/demo.toml" ] || "$VENV/bin/translator" demo-models "$DEMO" >&2
"$VENV/bin/translator" batch "$ROOT/tests/data/jfk.flac" --to de --config "$DEMO/demo.toml" --out "$ROOT/out"
echo "outputs in $ROOT/out (demo models: placeholder text; see README for real models)"
