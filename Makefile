# The two commands that matter: `make demo` and `make test`. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
# The venv's bin holds python3.13, which `sam build` looks for on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
PY := $(BIN)/python
PYTEST_ARGS ?=
# Tests run in parallel, one worker per core, each with its own DynamoDB Local (tests/conftest.py);
# a file that must not be split marks itself with xdist_group. PYTEST_WORKERS=0 runs them in line.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup
CODE := layers/cbxero functions local tests benchmarks

.PHONY: help setup browser web web-check web-dist publish-web openapi lint validate build pytest unit integration e2e test check quick demo dev bench clean

help:
	@echo "make demo   set up and run the product locally, end to end"
	@echo "make test   set up and run every check and test"
	@echo "make check  the inner loop: lint, types and the fast unit tests (some seconds)"
	@echo "make dev    keep the local stack running (API on localhost)"
	@echo "make bench  run the benchmarks"

$(VENV)/.installed: requirements-dev.txt constraints.txt layers/cbxero/requirements.txt
	@test -x $(PY) || $$(scripts/find-python313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

.local/dynamodb/DynamoDBLocal.jar:
	scripts/fetch-dynamodb-local.sh

# Swagger UI 5 for the local /docs (npm swagger-ui-dist; the script names the version).
.local/swagger-ui/VERSION: scripts/fetch-swagger-ui.sh
	scripts/fetch-swagger-ui.sh

# Debian's chromium and chromedriver for the browser test, installed only when missing.
browser:
	@scripts/install-chromium

setup: $(VENV)/.installed .local/dynamodb/DynamoDBLocal.jar .local/swagger-ui/VERSION browser

# The web app's Node dependencies, exactly as the committed lockfile says.
web/node_modules/.installed: web/package-lock.json
	@command -v npm >/dev/null || { echo "make web: Node.js 20 and npm are needed" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The web app: its typed client generated from the API's OpenAPI document, type-checked (an API
# change that breaks a screen fails here), then bundled into web/dist, which the local stack
# serves at / and `make publish-web` uploads.
web: web-check web-dist

# Its two halves, which `make test` runs apart: the typed client checked against the API (with
# lint) and the bundle the browser tests load (before pytest: esbuild needs no types, a second).
web-check: $(VENV)/.installed web/node_modules/.installed
	$(PY) -m local.openapi_document
	cd web && npm run --silent types && npm run --silent check

web-dist: web/node_modules/.installed
	cd web && npm run --silent bundle

# After `sam deploy`: uploads web/dist to the stack's bucket and invalidates the pages
# (scripts/publish-web; STACK=cbxero-prod for another stack). Needs the AWS CLI and credentials.
STACK ?= cbxero-dev
publish-web: web
	scripts/publish-web $(STACK)

lint: $(VENV)/.installed web-check
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy $(CODE)

validate: setup
	$(BIN)/sam validate --lint

build: setup
	$(BIN)/sam build

pytest: setup web-dist
	$(PYTEST) $(PYTEST_ARGS)

unit: setup
	$(PYTEST) tests/unit $(PYTEST_ARGS)

integration: setup
	$(PYTEST) tests/integration tests/contract $(PYTEST_ARGS)

e2e: setup web-dist
	$(PYTEST) tests/e2e $(PYTEST_ARGS)

# The setup's parts (the venv, DynamoDB Local, Swagger UI, the browser, the web app's Node
# dependencies) are fetched side by side first.
# The four phases share nothing, so they run side by side (mypy and sam leave a core idle alone);
# each phase's output is printed whole when it ends, and any failure fails `make test`.
test:
	$(MAKE) --no-print-directory --jobs=4 setup web/node_modules/.installed
	$(MAKE) --no-print-directory --jobs=4 --output-sync=target lint validate build pytest

# The inner loop: lint and types (the web app's too) beside the unit tests that take seconds. It
# needs the venv and web/node_modules (no DynamoDB Local, browser or build); the unit tests marked slow (long generated runs through
# the whole sync) and every other suite stay in `make test`.
check: $(VENV)/.installed
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target -o $(VENV)/.installed lint quick

# In one process: two xdist workers each import the whole package and spend more on that than
# the some 10 s of tests they share (13 s in line, 25-50 s on two workers, on a busy 2-core box).
quick: $(VENV)/.installed
	$(PY) -m pytest -n 0 tests/unit -m "not slow" -q $(PYTEST_ARGS)

# The OAuth function's part of the one OpenAPI document (the Settings function serves it).
openapi: setup
	$(PY) -m local.openapi_oauth

demo: setup web
	$(PY) -m local.demo

dev: setup web
	$(PY) -m local.dev

bench: setup
	$(PY) -m benchmarks.cold_start
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.sync calls
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.sync backlog
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.backfill
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.sync rss
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.dispatcher
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.webhook_answer
	PYTHONPATH=layers/cbxero:. $(PY) -m benchmarks.web

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache web/dist web/generated
