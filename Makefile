# make run: the workbook (core dependencies only): build workbook/backprop.xlsx, verify it in LibreOffice and Gnumeric.
# make train: train the MNIST model (adds the mnist extra).  make test: the tests (the test extra, no PyTorch).
# make test-bench: the speed benchmark's tests (the bench extra: PyTorch, JAX).  make bench: the benchmark.
# make test-fast: the tests that need no engine, MNIST, PostgreSQL, network or minutes (a minute or so).
# make screens: pictures of the workbook's sheets (workbook/screens/).  make lock: requirements.lock again.
# Nothing runs as root but apt-get (through sudo where you are not root).
PYTHON ?= python3
VENV := .venv
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# Debian's spreadsheet engines, which verify and the tests recalculate in; poppler's pdftoppm for render.
ENGINE_PACKAGES := libreoffice-calc-nogui gnumeric
TOOL_PACKAGES := $(ENGINE_PACKAGES) poppler-utils

.PHONY: run train test test-fast test-bench bench screens engines tools apt lock

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# One stamp per extra: .venv/.core-installed (no extra), .venv/.mnist-installed, .venv/.test-installed, ...
$(VENV)/.%-installed: pyproject.toml requirements.lock | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --constraint requirements.lock --editable '.$(if $(filter core,$*),,[$*])'
	touch $@

lock:
	$(PYTHON) tools/lock.py

engines:
	@command -v soffice >/dev/null && command -v ssconvert >/dev/null || $(MAKE) --no-print-directory apt PACKAGES="$(ENGINE_PACKAGES)"

tools:
	@command -v soffice >/dev/null && command -v ssconvert >/dev/null && command -v pdftoppm >/dev/null || \
	  $(MAKE) --no-print-directory apt PACKAGES="$(TOOL_PACKAGES)"

apt:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(PACKAGES)

run: $(VENV)/.core-installed engines
	$(VENV)/bin/python -m bp_excel build
	$(VENV)/bin/python -m bp_excel verify workbook/backprop.xlsx --engine all

train: $(VENV)/.mnist-installed
	$(VENV)/bin/python -m mnist_keras.train

test: $(VENV)/.test-installed tools
	$(VENV)/bin/python -m pytest -m "not bench"

test-fast: $(VENV)/.test-installed
	$(VENV)/bin/python -m pytest -m "not (libreoffice or mnist or postgres or network or bench or slow)"

test-bench: $(VENV)/.test-installed $(VENV)/.bench-installed
	$(VENV)/bin/python -m pytest -m bench

bench: $(VENV)/.bench-installed
	$(VENV)/bin/python -m mnist_keras.bench --json runs/bench.json

screens: $(VENV)/.core-installed tools
	$(VENV)/bin/python -m bp_excel render workbook/backprop.xlsx
