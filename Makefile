# `make demo` and `make test` install everything they need into .venv first.
# GHOST_MM_WHEEL_DIR: a folder with a prebuilt mmcv 2.1.0 wheel (else it is built once and cached).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ghost_mm-installed

.PHONY: setup demo test clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile tools/install_mmcv.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# setuptools<81: mmcv's build and mmengine's `mmdet::` config lookup import pkg_resources
	$(BIN)/pip install --quiet "setuptools<81" wheel torch==2.14.1 torchvision==0.29.1
	bash tools/install_mmcv.sh $(VENV)
	$(BIN)/pip install --quiet -e ".[tests]" "setuptools<81"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python tools/demo_quickstart.py

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

clean-venv:
	rm -rf $(VENV)
