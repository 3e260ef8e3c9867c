#!/usr/bin/env bash
# Create a local virtual environment and install seenn with its dependencies.
set -euo pipefail
venv=${1:-.venv}
# System packages, where we may install them: Fashion-MNIST's IDX files (the smoke data) and chromium
# (the explorer's real-browser test). Without root they are optional: data falls back to torchvision's
# downloader and the browser test is skipped.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  pkgs="dataset-fashion-mnist chromium"
  apt-get install -y -qq $pkgs >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $pkgs >/dev/null 2>&1; } \
    || echo "setup: could not apt-get install $pkgs; continuing without them"
fi
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# torch/torchvision first, as a matched pair (PyPI's latest torchvision may not match an older torch).
"$venv/bin/python" -m pip install -q "torch==2.14.1" "torchvision==0.29.1" 2>/dev/null \
  || "$venv/bin/python" -m pip install -q torch torchvision
"$venv/bin/python" -m pip install -q -e ".[dev]"
