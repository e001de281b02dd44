# Everything bootstraps a .venv from pyproject.toml; a machine with only Python 3.11+ is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint types bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	TRUSTPATH_DATABASE_URL=sqlite:///var/trustpath.db $(BIN)/trustpath serve --demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

bench: $(STAMP)
	$(BIN)/python -m ops.bench.append
	$(BIN)/python -m ops.bench.rebuild
	$(BIN)/python -m ops.bench.ledger
	$(BIN)/python -m ops.bench.api

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
