#!/usr/bin/env bash
# Run the frozen app's self-test and CLI on a generated image; report size and start-up time.
set -euo pipefail
cd "$(dirname "$0")/.."
APP=dist/LowlightStudio/LowlightStudio
export QT_QPA_PLATFORM=offscreen
selftest=$("$APP" --self-test)
echo "$selftest"
# the kernels built ahead of time were bundled and run (not the numpy twin)
if ls app/core/engine/_compiled_kernels*.so >/dev/null 2>&1; then
  grep -q "+ compiled" <<<"$selftest" || { echo "frozen app: compiled kernels not used" >&2; exit 1; }
  # and the AVX2 build where this CPU runs it (it must have been bundled too)
  if .venv/bin/python -c "import sys; from app.core.engine import compiled; sys.exit(not compiled.runs_v3())"; then
    grep -q "+ compiled (AVX2)" <<<"$selftest" || {
      echo "frozen app: the AVX2 build of the kernels not used on a CPU that runs it" >&2; exit 1; }
  fi
fi
work=$(mktemp -d)
.venv/bin/python - "$work" <<'PY'
import sys
from pathlib import Path
import numpy as np, cv2
sys.path.insert(0, "tests")
from camera_files import linear_scene, make_dng, make_heic, to_srgb8
from clips import make_clip
img = (np.random.default_rng(0).random((300, 400, 3)) * 40).astype(np.uint8)
cv2.imwrite(f"{sys.argv[1]}/dark.jpg", img)
make_clip(Path(sys.argv[1]) / "dark.mp4", frames=12)  # with an AAC track
scene = linear_scene(120, 160)
make_dng(Path(sys.argv[1]) / "night.dng", scene)
make_heic(Path(sys.argv[1]) / "night.heic", to_srgb8(scene))
PY
# A photo and a video through the frozen CLI: OpenCV and PyAV (which share FFmpeg) both load.
# Camera RAW and HEIC too: libheif runs with its encoder left out (prune_bundle.py).
"$APP" cli enhance "$work/dark.jpg" "$work/dark.mp4" "$work/night.dng" "$work/night.heic" \
  -o "$work/out" -v
test -s "$work/out/dark.jpg"
test -s "$work/out/dark.mp4"
test -s "$work/out/night.tif"
test -s "$work/out/night.jpg"
# Ray stays out of the bundle (pip install .[cluster]): --cluster says so, no traceback.
{ "$APP" cli batch "$work/dark.jpg" -o "$work/c" --cluster local 2>&1 || true; } | grep -q "needs Ray"
size=$(du -sm dist/LowlightStudio | cut -f1)
echo "frozen bundle: ${size} MB unpacked"
.venv/bin/python build_scripts/startup_time.py "$APP"
rm -rf "$work"
