# make run: set up, build the workbook and verify it in LibreOffice and Gnumeric.  make test: set up, run the tests.
# make train: train the MNIST model.  make bench: the training-speed benchmark (Keras against PyTorch).
# make screens: pictures of the workbook's sheets (workbook/screens/), as the README shows them.
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# The spreadsheet engines that verify and the tests recalculate in, poppler's pdftoppm for render, and
# the PostgreSQL server that the tests start for a sweep shared by two machines.
DEBIAN_PACKAGES := libreoffice-calc-nogui gnumeric poppler-utils postgresql

.PHONY: run test train bench screens engines lock

$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --constraint requirements.lock --editable '.[test]'
	touch $@

# Resolve '.[test]' afresh and pin what it installs (after a change to pyproject's dependencies).
lock:
	rm -rf build/lock-venv && $(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/pip install --quiet '.[test]'
	{ head -n 2 requirements.lock; build/lock-venv/bin/pip freeze --exclude backprop-lab; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

engines:
	@command -v soffice >/dev/null && command -v ssconvert >/dev/null && command -v pdftoppm >/dev/null && \
	  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); }

run: $(INSTALLED) engines
	$(VENV)/bin/python -m bp_excel build
	$(VENV)/bin/python -m bp_excel verify workbook/backprop.xlsx --engine all

test: $(INSTALLED) engines
	$(VENV)/bin/python -m pytest

screens: $(INSTALLED) engines
	$(VENV)/bin/python -m bp_excel render workbook/backprop.xlsx

train: $(INSTALLED)
	$(VENV)/bin/python -m mnist_keras.train

bench: $(INSTALLED)
	$(VENV)/bin/pip install --quiet --constraint requirements.lock --editable '.[bench]'
	$(VENV)/bin/python -m mnist_keras.bench --json runs/bench.json
