# Everything a developer or CI runs. `make test` works from a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell scripts/find-python)
STAGE ?= dev

.PHONY: local test lint unit bench deploy destroy package channels chat-rooms moderator clean

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
	$(BIN)/lint-imports  # the layers of chalicelib (pyproject.toml)

unit: $(BIN)/.installed $(SDK) $(CHROMIUM)
	$(BIN)/pytest

bench: $(BIN)/.installed ## Benchmarks: a table, and bench/results/ (JSON, Markdown, PNG)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(ARGS)

# --- Deploying (README "Deploying"); scripts/deploy does the work, `--help` lists every option.
# make deploy STAGE=prod MODERATOR_EMAIL=maria@yourdomain [INTERVAL=5] [STORAGE=SEQUENTIAL]
#             [REGION=eu-west-1] [PROFILE=...] [ALARM_EMAIL=...] [CHAT_ALLOWED_HOSTS='a.org; *.b.net']
#             [ARGS="--retention-days 90"]
DEPLOY := $(BIN)/python -m scripts.deploy
AWS_ARGS = $(if $(REGION),--region $(REGION)) $(if $(PROFILE),--profile $(PROFILE))
STAGE_ARGS = $(if $(MODERATOR_EMAIL),--moderator-email $(MODERATOR_EMAIL)) \
	$(if $(MODERATOR_NAME),--moderator-name $(MODERATOR_NAME)) \
	$(if $(INTERVAL),--interval $(INTERVAL)) $(if $(STORAGE),--storage $(STORAGE)) \
	$(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL)) $(if $(ADAPTER_ARN),--adapter-arn $(ADAPTER_ARN)) \
	$(if $(filter undefined,$(origin CHAT_ALLOWED_HOSTS)),,--chat-allowed-hosts "$(CHAT_ALLOWED_HOSTS)")

deploy: $(BIN)/.installed ## Deploy or update STAGE in your AWS account: resources, settings, policies, functions, API
	$(DEPLOY) deploy --stage $(STAGE) $(STAGE_ARGS) $(AWS_ARGS) $(ARGS)

destroy: $(BIN)/.installed ## Remove STAGE; recordings and decision log stay unless DELETE_DATA=yes
	$(DEPLOY) destroy --stage $(STAGE) $(if $(filter yes,$(DELETE_DATA)),--delete-data) \
		$(if $(filter yes,$(YES)),--yes) $(AWS_ARGS) $(ARGS)

channels: $(BIN)/.installed ## Record CHANNELS='arn:aws:ivs:...' (or CHANNELS=all) with STAGE's configuration; DETACH=yes to stop
	$(DEPLOY) channels --stage $(STAGE) $(if $(filter all,$(CHANNELS)),--all,$(CHANNELS)) \
		$(if $(filter yes,$(DETACH)),--detach) $(if $(filter yes,$(REPLACE)),--replace) $(AWS_ARGS) $(ARGS)

chat-rooms: $(BIN)/.installed ## Moderate ROOMS='arn:aws:ivschat:...' (or ROOMS=all) with STAGE's review handler; FALLBACK=DENY, CHANNEL=..., DETACH=yes
	$(DEPLOY) chat-rooms --stage $(STAGE) $(if $(filter all,$(ROOMS)),--all,$(ROOMS)) \
		$(if $(filter yes,$(DETACH)),--detach) $(if $(FALLBACK),--fallback $(FALLBACK)) \
		$(if $(CHANNEL),--channel $(CHANNEL)) $(if $(filter yes,$(FORCE)),--force) $(AWS_ARGS) $(ARGS)

# make moderator STAGE=prod EMAIL=... [ROLE=triage|moderator|admin] [NAME=...]; STAGE=local adds
# the user to the running local stack (make local) and prints their password.
ROLE ?= moderator
moderator: $(BIN)/.installed ## Invite EMAIL=... (ROLE=triage|moderator|admin, NAME=...) to STAGE's team
	$(if $(filter local,$(STAGE)),$(BIN)/python -m local.users,$(DEPLOY) moderator --stage $(STAGE)) \
		--email "$(EMAIL)" --role $(ROLE) $(if $(NAME),--name $(NAME)) \
		$(if $(filter local,$(STAGE)),,$(AWS_ARGS)) $(ARGS)

package: $(BIN)/.installed ## One template for a pipeline (SAM, with every resource): build/STAGE/sam.json
	$(DEPLOY) package --stage $(STAGE) --out build/$(STAGE) $(STAGE_ARGS) $(ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
