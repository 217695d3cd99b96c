#!/usr/bin/env bash
# Build the double-click app: dist/LowlightStudio/ (one folder, windowed), plus a Linux .desktop
# entry inside it. Then check the frozen binary: its self-test and its CLI on a generated image.
set -euo pipefail
cd "$(dirname "$0")/.."
bash build_scripts/bootstrap.sh test
.venv/bin/python -m pip --disable-pip-version-check -q install "pyinstaller>=6"
.venv/bin/python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller build_scripts/lowlight.spec
cp resources/lowlight-studio.desktop dist/LowlightStudio/
du -sh dist/LowlightStudio
bash build_scripts/check_frozen.sh
