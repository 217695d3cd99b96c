#!/usr/bin/env bash
# Render the real window with the bundled sample to PNG: offscreen, and under Xvfb (a real X
# server, so the xcb platform plugin and its libraries are exercised) when xvfb-run exists.
#   bash build_scripts/screenshot.sh [OUT_DIR]        (default: current folder)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.}"
mkdir -p "$out"
QT_QPA_PLATFORM=offscreen .venv/bin/lowlight-studio --screenshot "$out/window-offscreen.png"
if command -v xvfb-run >/dev/null; then
  QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
    .venv/bin/lowlight-studio --screenshot "$out/window-xvfb.png"
else
  echo "screenshot: xvfb-run not found (apt-get install xvfb) - offscreen only"
fi
