#!/usr/bin/env bash
# Create a local virtual environment and install seenn with its dependencies.
set -euo pipefail
venv=${1:-.venv}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# torch/torchvision first, as a matched pair (PyPI's latest torchvision may not match an older torch).
"$venv/bin/python" -m pip install -q "torch==2.14.1" "torchvision==0.29.1" 2>/dev/null \
  || "$venv/bin/python" -m pip install -q torch torchvision
"$venv/bin/python" -m pip install -q -e ".[dev]"
