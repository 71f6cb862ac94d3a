# make run: set up, build the workbook and verify it in LibreOffice.  make test: set up, run the tests.
# make train: train the MNIST model.  make bench: the training-speed benchmark (Keras against PyTorch).
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test train bench libreoffice

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --editable '.[test]'
	touch $@

libreoffice:
	@command -v soffice >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui; }

run: $(INSTALLED) libreoffice
	$(VENV)/bin/python -m bp_excel build
	$(VENV)/bin/python -m bp_excel verify workbook/backprop.xlsx

test: $(INSTALLED) libreoffice
	$(VENV)/bin/python -m pytest

train: $(INSTALLED)
	$(VENV)/bin/python -m mnist_keras.train

bench: $(INSTALLED)
	$(VENV)/bin/pip install --quiet --editable '.[bench]'
	$(VENV)/bin/python -m mnist_keras.bench --json runs/bench.json
