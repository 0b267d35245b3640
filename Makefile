# `make demo` and `make test` set everything up themselves on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PEERS := .peers
WSAT := .wsat
APT_PACKAGES := espeak-ng sox mosquitto
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all demo test lint typecheck bench system-deps venv peers clean

all: test

system-deps:
	@missing=""; \
	for tool in espeak-ng sox mosquitto; do \
	  command -v $$tool >/dev/null 2>&1 || [ -x /usr/sbin/$$tool ] || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13), "Python 3.11-3.13 needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[hub,models,dev]'
	touch $@

venv: system-deps $(VENV)/.installed

# The reference peers live in their own environment (they pin their own wyoming versions).
$(PEERS)/.installed: bench/peers-requirements.txt
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	$(PEERS)/bin/python -m pip install -q -r bench/peers-requirements.txt
	touch $@

# The stock wyoming-satellite 1.0.0 pins wyoming 1.4.1: another environment of its own.
$(WSAT)/.installed: bench/wsat-requirements.txt
	$(PYTHON) -m venv $(WSAT)
	$(WSAT)/bin/python -m pip install -q --upgrade pip
	$(WSAT)/bin/python -m pip install -q -r bench/wsat-requirements.txt
	touch $@

peers: $(PEERS)/.installed $(WSAT)/.installed

demo: venv
	$(PY) -m bench.demo

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy protocol hub satellite bench tools tests

test: venv peers lint typecheck
	HOMEVOICE_PEERS=$(CURDIR)/$(PEERS) HOMEVOICE_WSAT=$(CURDIR)/$(WSAT) $(PY) -m pytest -q

bench: venv peers
	HOMEVOICE_PEERS=$(CURDIR)/$(PEERS) $(PY) -m bench.compare_peers

clean:
	rm -rf $(VENV) $(PEERS) $(WSAT) .pytest_cache .mypy_cache .ruff_cache
