# Two commands for a newcomer:  `make reproduce`  and  `make test`  (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= smoke
DEVICE ?= cpu

.PHONY: setup reproduce test
setup: $(VENV)/.installed data/FashionMNIST/raw/t10k-labels-idx1-ubyte

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $@

data/FashionMNIST/raw/t10k-labels-idx1-ubyte: | $(VENV)/.installed
	$(PY) -m seenn_lib data fashion-mnist

reproduce: setup
	$(PY) -m seenn_lib reproduce --profile $(PROFILE) --device $(DEVICE)

test: setup
	$(PY) -m pytest -q
