# Two commands for a newcomer:  `make reproduce`  and  `make test`  (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= smoke
DEVICE ?= cpu
SEEDS ?= 0

.PHONY: setup reproduce test lab explorer lock gpu-check paper-dry-run
setup: $(VENV)/.installed data/FashionMNIST/raw/t10k-labels-idx1-ubyte

$(VENV)/.installed: pyproject.toml requirements.lock scripts/setup.sh scripts/jupyterlab-overrides.json
	bash scripts/setup.sh $(VENV)
	touch $@

data/FashionMNIST/raw/t10k-labels-idx1-ubyte: | $(VENV)/.installed
	$(PY) -m seenn_lib data fashion-mnist

reproduce: setup
	$(PY) -m seenn_lib reproduce --profile $(PROFILE) --device $(DEVICE) --seeds $(SEEDS)

# two test processes (pytest-xdist), each taking whole test files, so a module's fixtures (the ci run of every
# notebook) are built once; TEST_JOBS=0 runs every test in this one process
TEST_JOBS ?= 2
test: setup
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile

# JupyterLab over the repository, opening notebooks/ (its .py sources open as notebooks)
lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks

# notebook 16's sliders as a Voila dashboard
explorer: setup
	$(PY) -m seenn_lib explorer --profile $(PROFILE) --device $(DEVICE)

# the paper profile's whole code path, a few steps and inputs each, on stand-ins (build/dry-run/figures/REPORT.md);
# run it before gpu-check and the real run (README, "On a GPU")
paper-dry-run: setup
	$(PY) -m seenn_lib reproduce --profile paper --dry-run --device $(DEVICE)

# on a GPU machine (<= 8 minutes): GPU tests, both benchmarks, projected GPU-hours per paper table
GPU_DEVICE ?= cuda
gpu-check: setup
	$(PY) -m seenn_lib gpu-check --device $(GPU_DEVICE)

# re-resolve requirements.lock from pyproject.toml (CPython 3.11, x86_64 Linux; torch pair of scripts/torch-pins.txt)
lock: $(VENV)/.installed
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile -q pyproject.toml --all-extras --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -c scripts/torch-pins.txt --custom-compile-command "make lock" \
	  -o requirements.lock
