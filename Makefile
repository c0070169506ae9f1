# The two set-up commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint format docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev,semantic]'
	touch $@

## run: set up and serve http://127.0.0.1:8000 with the demo organisation (SQLite unless DATABASE_URL)
run: $(VENV)/.installed
	$(BIN)/followthrough serve --demo

## test: lint, type-check, then the whole suite on SQLite and again on PostgreSQL
test: lint
	scripts/run-tests

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	FOLLOWTHROUGH_DATA_DIR=$$(mktemp -d) $(BIN)/followthrough manage makemigrations --check --dry-run
	FOLLOWTHROUGH_DATA_DIR=$$(mktemp -d) $(BIN)/followthrough manage check

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

docs: $(VENV)/.installed
	$(BIN)/followthrough rules --format markdown > docs/rules.md

clean:
	rm -rf $(VENV) .followthrough .pytest_cache .mypy_cache .ruff_cache
