# `make test` is the whole suite on a fresh machine: it installs lfadmin and its test tools into
# .venv, the real Langflow releases the interoperability tests talk to, then lints and tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LANGFLOW_VERSIONS ?= 1.6.9 1.8.4 1.13.0
# Two workers: these machines have two cores, and half the suite waits on bcrypt or Langflow.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: install dev langflow lint test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet .

dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

langflow:
	@for v in $(LANGFLOW_VERSIONS); do scripts/langflow-venv.sh $$v >/dev/null || exit 1; done

lint: dev
	$(BIN)/ruff check lfadmin tests bench
	$(BIN)/mypy

test: dev langflow lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: dev
	$(BIN)/python bench/bench_startup.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
