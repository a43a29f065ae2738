#!/usr/bin/env bash
# Builds the desktop app into dist/ (see packaging/build.py), with the project's .venv when there is one.
# Arguments go to build.py: --dist DIR, --work DIR, --no-archive.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
[ -x "$ROOT/.venv/bin/python" ] && PYTHON="$ROOT/.venv/bin/python"
exec "$PYTHON" "$ROOT/packaging/build.py" "$@"
