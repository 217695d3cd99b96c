#!/usr/bin/env bash
# Run the frozen app's self-test and CLI on a generated image; report size and start-up time.
set -euo pipefail
cd "$(dirname "$0")/.."
APP=dist/LowlightStudio/LowlightStudio
export QT_QPA_PLATFORM=offscreen
"$APP" --self-test
work=$(mktemp -d)
.venv/bin/python - "$work" <<'PY'
import sys
from pathlib import Path
import numpy as np, cv2
sys.path.insert(0, "tests")
from clips import make_clip
img = (np.random.default_rng(0).random((300, 400, 3)) * 40).astype(np.uint8)
cv2.imwrite(f"{sys.argv[1]}/dark.jpg", img)
make_clip(Path(sys.argv[1]) / "dark.mp4", frames=12)  # with an AAC track
PY
# A photo and a video through the frozen CLI: OpenCV and PyAV (which share FFmpeg) both load.
"$APP" cli enhance "$work/dark.jpg" "$work/dark.mp4" -o "$work/out" -v
test -s "$work/out/dark.jpg"
test -s "$work/out/dark.mp4"
# Ray stays out of the bundle (pip install .[cluster]): --cluster says so, no traceback.
{ "$APP" cli batch "$work/dark.jpg" -o "$work/c" --cluster local 2>&1 || true; } | grep -q "needs Ray"
size=$(du -sm dist/LowlightStudio | cut -f1)
echo "frozen bundle: ${size} MB unpacked"
.venv/bin/python build_scripts/startup_time.py "$APP"
rm -rf "$work"
