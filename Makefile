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
# Tests mostly wait on emulated rate limits and moto, so 4 workers on 2 cores cut the wall time;
# loadfile keeps each module (and its module-scoped clouds) on one worker.
PYTEST_ARGS ?= -n 4 --dist loadfile

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

# Benchmarks (bench/__main__.py). BittyTax, the statement-parsing baseline, lives in its own venv
# (its pins clash with ours). `make bench BENCH=long` also syncs the heavy profile.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH ?=
BENCH_ARGS ?=

$(BENCH_STAMP): bench/requirements-bittytax.txt
	test -x $(BENCH_VENV)/bin/python || $(PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q -r bench/requirements-bittytax.txt
	touch $@

bench: venv $(BENCH_STAMP)
	$(BIN)/python -m bench $(if $(filter long,$(BENCH)),--long) $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .

# Regenerate the committed OpenAPI document from the API code (tests/api/test_openapi.py fails
# when they drift).
openapi: venv
	$(BIN)/python -m binsync.api.openapi --write openapi.json

fmt: venv
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) $(BENCH_VENV) .pytest_cache .ruff_cache
