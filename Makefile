# binsync. Every target sets up what it needs from a fresh clone: .venv with the project's pinned
# dependencies, and for `test` also .venv-tools with checkov (its dependencies clash with ours).
# Needs Python 3.11+ (`make PY=python3.12 test` to choose) and access to PyPI on first run.
PY ?= python3
VENV := .venv
TOOLS := .venv-tools
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION := 3.3.30
PYTEST_ARGS ?=

.PHONY: venv tools test demo bench lint fmt clean openapi

venv: $(STAMP)

tools: $(TOOLS_STAMP)

$(STAMP): requirements-dev.txt layers/shared/requirements.txt pyproject.toml
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "binsync needs Python 3.11 or newer: make PY=python3.11 ..."; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(TOOLS_STAMP): Makefile
	test -x $(TOOLS)/bin/python || $(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --upgrade pip
	$(TOOLS)/bin/python -m pip install -q checkov==$(CHECKOV_VERSION)
	touch $@

test: venv tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: venv
	$(BIN)/binsync demo

bench: venv
	$(BIN)/python -m bench

lint: venv
	$(BIN)/ruff check .

# Regenerate the committed OpenAPI document from the API code (tests/api/test_openapi.py fails
# when they drift).
openapi: venv
	$(BIN)/python -m binsync.api.openapi --write openapi.json

fmt: venv
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
