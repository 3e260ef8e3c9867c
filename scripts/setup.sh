#!/usr/bin/env bash
# Create a local virtual environment and install seenn with its dependencies: by default the exact versions
# of requirements.lock (CPython 3.11 on x86_64 Linux; `make lock` refreshes it), elsewhere or with
# SEENN_LOCK=0 the ranges of pyproject.toml.
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
pip() { "$venv/bin/python" -m pip "$@"; }
pip install -q --upgrade pip
if [ "${SEENN_LOCK:-1}" = 1 ] && "$venv/bin/python" -c 'import platform, sys
sys.exit(not (sys.version_info[:2] == (3, 11) and sys.platform == "linux" and platform.machine() == "x86_64"))'; then
  pip install -q -r requirements.lock
  pip install -q --no-deps -e .
else
  echo "setup: installing from pyproject.toml's ranges (requirements.lock is for CPython 3.11 on x86_64 Linux)"
  # torch/torchvision first, as a matched pair (PyPI's latest torchvision may not match an older torch).
  pip install -q -r scripts/torch-pins.txt 2>/dev/null || pip install -q torch torchvision
  pip install -q -e ".[dev]"
fi
# JupyterLab settings for this environment only (not the user's home): notebooks/*.py open as notebooks
# (jupytext), no news or update-check prompt.
install -D -m 644 scripts/jupyterlab-overrides.json "$venv/share/jupyter/lab/settings/overrides.json"
