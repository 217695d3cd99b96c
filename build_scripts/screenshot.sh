#!/usr/bin/env bash
# Render the real window with the bundled sample to PNG: offscreen, and under Xvfb (a real X
# server, so the xcb platform plugin and its libraries are exercised) when xvfb-run exists.
#   bash build_scripts/screenshot.sh [OUT_DIR]        (default: current folder)
#   bash build_scripts/screenshot.sh --readme         the README's pictures, on a 1366x768
#       screen: resources/screenshot.png (the window) and resources/screenshot_split.png
#       (before/after split at 100%), each reduced to 256 colours when over 400 KB
# A throw-away settings folder is used, so your own window size and presets do not show.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_CONFIG_HOME="$(mktemp -d)" LOWLIGHT_CONFIG_DIR="$(mktemp -d)"
trap 'rm -rf "$XDG_CONFIG_HOME" "$LOWLIGHT_CONFIG_DIR"' EXIT
run=(.venv/bin/python -m app)  # this checkout's app, not an installed one

shrink() {  # PNG over 400 KB -> 256-colour PNG (the window is mostly flat colour)
  .venv/bin/python - "$1" <<'EOF'
import os, sys
from PIL import Image
path = sys.argv[1]
if os.path.getsize(path) > 400_000:
    Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT,
                                             dither=Image.Dither.NONE).save(path, optimize=True)
print(f"{path}: {os.path.getsize(path) // 1024} KB")
EOF
}

if [[ "${1:-}" == "--readme" ]]; then
  command -v xvfb-run >/dev/null || { echo "screenshot: needs xvfb-run (apt-get install xvfb)"; exit 1; }
  screen="-screen 0 1366x768x24"
  QT_QPA_PLATFORM=xcb xvfb-run -a -s "$screen" "${run[@]}" --screenshot resources/screenshot.png
  QT_QPA_PLATFORM=xcb xvfb-run -a -s "$screen" \
    "${run[@]}" --split --zoom 100 --screenshot resources/screenshot_split.png
  shrink resources/screenshot.png
  shrink resources/screenshot_split.png
  exit 0
fi

out="${1:-.}"
mkdir -p "$out"
QT_QPA_PLATFORM=offscreen "${run[@]}" --screenshot "$out/window-offscreen.png"
if command -v xvfb-run >/dev/null; then
  QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
    "${run[@]}" --screenshot "$out/window-xvfb.png"
else
  echo "screenshot: xvfb-run not found (apt-get install xvfb) - offscreen only"
fi
