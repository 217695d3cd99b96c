#!/usr/bin/env bash
# Quick start, part 2: set everything up (first run only), then lint, run the test suite and
# the app's own offscreen self-test. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash build_scripts/bootstrap.sh test
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check app tests build_scripts
.venv/bin/python -m pytest -q "$@"
.venv/bin/lowlight-studio --self-test
