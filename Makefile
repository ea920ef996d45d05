# Everything a developer or CI runs. `make test` works from a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell scripts/find-python)
STAGE ?= dev

.PHONY: local test lint unit bench package clean

local: $(BIN)/.installed ## Run the whole service locally (moto + emulator); Ctrl-C stops it.
	$(BIN)/python -m local.stack $(ARGS)


test: lint unit ## Build the virtualenv if needed, lint, and run the whole suite.

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "no Python 3.12+ found (see scripts/find-python)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 packages with pip; it wants <26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The official IVS chat SDK, for the conformance test of the emulator's WebSocket.
SDK := tests/conformance/node_modules/.installed
$(SDK): tests/conformance/package.json tests/conformance/package-lock.json
	scripts/ensure-debian-packages node=nodejs npm=npm
	cd tests/conformance && npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the dashboard's browser tests (Playwright's own download cannot work here).
CHROMIUM := build/.chromium
$(CHROMIUM):
	scripts/ensure-debian-packages chromium=chromium
	mkdir -p build && touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(BIN)/.installed $(SDK) $(CHROMIUM)
	$(BIN)/pytest

bench: $(BIN)/.installed ## Benchmarks: a table, and bench/results/ (JSON, Markdown, PNG)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(ARGS)

package: $(BIN)/.installed ## SAM template and deployment zip for STAGE in build/STAGE
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-west-2} $(BIN)/chalice package --stage $(STAGE) build/$(STAGE)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
