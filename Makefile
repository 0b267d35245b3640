# `make demo` and `make test` set everything up themselves on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PEERS := .peers
WSAT := .wsat
APT_PACKAGES := espeak-ng sox mosquitto jq chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all demo test lint typecheck bench soak fuzz system-deps venv peers clean ha-test

all: test

system-deps:
	@missing=""; \
	for tool in espeak-ng sox mosquitto jq chromium; do \
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
$(PEERS)/.installed: testing/peers-requirements.txt
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	$(PEERS)/bin/python -m pip install -q -r testing/peers-requirements.txt
	touch $@

# The stock wyoming-satellite 1.0.0 pins wyoming 1.4.1: another environment of its own.
$(WSAT)/.installed: testing/wsat-requirements.txt
	$(PYTHON) -m venv $(WSAT)
	$(WSAT)/bin/python -m pip install -q --upgrade pip
	$(WSAT)/bin/python -m pip install -q -r testing/wsat-requirements.txt
	touch $@

peers: $(PEERS)/.installed $(WSAT)/.installed

demo: venv
	$(PY) -m demo

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: venv
	$(VENV)/bin/mypy protocol hub satellite testing demo bench tools tests

test: venv peers lint typecheck
	HOMEVOICE_PEERS=$(CURDIR)/$(PEERS) HOMEVOICE_WSAT=$(CURDIR)/$(WSAT) $(PY) -m pytest -q

# The fuzzers of the frame reader and of hub and satellite, long (`make test` runs them short).
fuzz: venv
	HOMEVOICE_FUZZ=long $(PY) -m pytest -q --timeout 3600 tests/*/test_fuzz_*.py

# Real Home Assistant (its `wyoming` and `mqtt` integrations) against our hub and satellite, in an
# environment of its own: Home Assistant 2025.4.4 needs Python 3.13 (pyenv's 3.13.0 if there is one).
HA_VENV := .ha-venv
HA_PYTHON ?= $(shell p="$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3"; [ -x "$$p" ] && echo "$$p" || command -v python3.13 || echo python3.13)

$(HA_VENV)/.installed: tests/ha/requirements.txt
	@$(HA_PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 13), "Python 3.13 needed for Home Assistant 2025.4.4 (set HA_PYTHON)"'
	$(HA_PYTHON) -m venv $(HA_VENV)
	$(HA_VENV)/bin/python -m pip install -q --upgrade pip
	$(HA_VENV)/bin/python -m pip install -q -r tests/ha/requirements.txt
	touch $@

ha-test: venv $(HA_VENV)/.installed
	@command -v ffmpeg >/dev/null 2>&1 || { echo "Installing Debian package: ffmpeg"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; }
	HOMEVOICE_HA_TEST=1 HOMEVOICE_PYTHON=$(CURDIR)/$(PY) $(HA_VENV)/bin/python -m pytest -q \
	  --confcutdir=tests/ha -p no:cacheprovider tests/ha

bench: venv peers
	HOMEVOICE_PEERS=$(CURDIR)/$(PEERS) $(PY) -m bench.compare_peers

# Ten minutes of four satellites speaking, a flood of idle connections halfway: success rate,
# p50/p95/p99, and the hub's memory, files and tasks (bench/soak.py; 60 s of it is in make test).
soak: venv
	$(PY) -m bench.soak --duration-s 600 --report soak-report.md

clean:
	rm -rf $(VENV) $(PEERS) $(WSAT) .hypothesis .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
