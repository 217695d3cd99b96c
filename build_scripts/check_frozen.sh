#!/usr/bin/env bash
# Run the frozen app's self-test and CLI on a generated image; report size and start-up time.
set -euo pipefail
cd "$(dirname "$0")/.."
APP=dist/LowlightStudio/LowlightStudio
export QT_QPA_PLATFORM=offscreen
"$APP" --self-test
work=$(mktemp -d)
.venv/bin/python - "$work/dark.jpg" <<'PY'
import sys, numpy as np, cv2
img = (np.random.default_rng(0).random((300, 400, 3)) * 40).astype(np.uint8)
cv2.imwrite(sys.argv[1], img)
PY
"$APP" cli enhance "$work/dark.jpg" -o "$work/out" -v
test -s "$work/out/dark.jpg"
size=$(du -sm dist/LowlightStudio | cut -f1)
echo "frozen bundle: ${size} MB unpacked"
.venv/bin/python build_scripts/startup_time.py "$APP"
rm -rf "$work"
