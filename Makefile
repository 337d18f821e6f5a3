# jiayi — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint typecheck content-check pytest chromium fonts i18n seed-demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Install and run the bot (reads JIAYI_* settings from the environment or .env).
## Without JIAYI_BOT_TOKEN this starts the local sandbox (same as `make demo`).
run: install fonts
	$(BIN)/jiayi run

## Install and start the local sandbox: a web chat with the real bot, no Telegram needed.
demo: install fonts
	$(BIN)/jiayi sandbox

## Install and run every check: lint, types, and the test suite.
test: install lint typecheck content-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

content-check: install
	$(BIN)/jiayi content check --overdue-reviews warn

pytest: install chromium fonts
	$(BIN)/pytest

## The browser test needs Debian's Chromium; install it when missing (as root, or via sudo),
## unless JIAYI_SKIP_BROWSER_TESTS=1 says this machine runs without a browser.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$JIAYI_SKIP_BROWSER_TESTS" != "1" ]; then \
		echo "Installing Chromium for tests/browser (apt-get)"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei fonts-noto-color-emoji; \
	fi

## The readings chart draws Chinese labels with Debian's WenQuanYi Micro Hei; install it when
## missing (as root, or via sudo). Without it the chart falls back to English labels.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@if [ ! -f $(CJK_FONT) ]; then \
		echo "Installing a CJK font for the readings chart (apt-get)"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		($$SUDO apt-get update -qq && \
		 $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei) || \
		echo "Could not install fonts-wqy-microhei: readings charts will use English labels"; \
	fi

## Re-extract translatable strings into both catalogs (then translate the new zh-CN entries).
i18n: install
	$(BIN)/python -c "from jiayi.content.i18n import update_catalogs; m = update_catalogs(); \
	[print(f'{loc}: untranslated: {ids!r}') for loc, ids in m.items()]"

seed-demo: install
	$(BIN)/jiayi seed-demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
