#!/usr/bin/env bash
# Quick start, part 1: set everything up (first run only) and open Lowlight Studio on the
# bundled sample photo. Extra arguments go to the app (e.g. a photo to open).
set -euo pipefail
cd "$(dirname "$0")/.."
bash build_scripts/bootstrap.sh run
if [ "$(uname -s)" = "Linux" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] \
   && [ "${QT_QPA_PLATFORM:-}" != "offscreen" ]; then
  echo "run: no display here; enhancing the sample offscreen and saving a screenshot instead."
  .venv/bin/lowlight-studio --self-test
  exec .venv/bin/lowlight-studio --screenshot lowlight-studio-window.png
fi
exec .venv/bin/lowlight-studio "$@"
