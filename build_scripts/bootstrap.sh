#!/usr/bin/env bash
# Set up everything Lowlight Studio needs on a fresh Debian machine, idempotently:
# the Debian libraries Qt loads, a venv in .venv, torch (pinned, first), then the project.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-test}"  # run: the app only; test: plus test tools, training and cluster extras

QT_LIBS="libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core \
libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 \
libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1 libglib2.0-0"
missing=""
for p in $QT_LIBS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "bootstrap: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv 2>/dev/null || {
    # Debian's own python3 keeps venv in a separate package.
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -qq python3-venv >/dev/null && rm -rf .venv && "$PY" -m venv .venv; }
fi
PIP=".venv/bin/python -m pip --disable-pip-version-check -q"
# torch first, exactly this pin: it resolves to the local CPU build; anything else pulls CUDA.
.venv/bin/python -c "import torch" 2>/dev/null || $PIP install "torch==2.13.0"
stamp=".venv/.installed-$MODE"
# Reinstall only when the dependency list changed (keeps repeated runs fast).
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  if [ "$MODE" = "run" ]; then $PIP install -e . ; else $PIP install -e ".[test,cluster]"; fi
  touch "$stamp"
fi
echo "bootstrap: ready (.venv)"
