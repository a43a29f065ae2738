#!/usr/bin/env bash
# Quick start: sets everything up, then runs the whole test suite (extra arguments go to pytest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# The tests start their own virtual sound card (a private PulseAudio server), speak test phrases with
# espeak-ng, and open the window on a virtual screen (Xvfb).
apt_install pulseaudio espeak-ng xvfb
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
