# jiayi — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck content-check pytest i18n seed-demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Install and run the bot (reads JIAYI_* settings from the environment or .env).
run: install
	$(BIN)/jiayi run

## Install and run every check: lint, types, and the test suite.
test: install lint typecheck content-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

content-check: install
	$(BIN)/jiayi content check

pytest: install
	$(BIN)/pytest

## Re-extract translatable strings into both catalogs (then translate the new zh-CN entries).
i18n: install
	$(BIN)/python -c "from content.i18n import update_catalogs; m = update_catalogs(); \
	[print(f'{loc}: untranslated: {ids!r}') for loc, ids in m.items()]"

seed-demo: install
	$(BIN)/jiayi seed-demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
