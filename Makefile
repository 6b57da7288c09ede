# Two commands for readers and maintainers (see README.md):
#   make book   build the HTML book, every chapter executed
#   make test   run the whole test suite (doctests, unit, property, book build)
# Both create .venv from requirements.txt first if it is missing or out of date.

PYTHON ?= python3
VENV   ?= .venv
PY     ?= $(VENV)/bin/python
BIN     = $(dir $(PY))
STAMP  := $(VENV)/.installed
BUILD  := _build

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
.PHONY: help venv book html test lint clean

help:
	@echo "make book   build the book into $(BUILD)/html (creates $(VENV) if needed)"
	@echo "make test   run every test (creates $(VENV) if needed)"
	@echo "make lint   ruff over the package, tests and benchmarks"
	@echo "make clean  remove $(BUILD)"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

book: venv html
	@echo
	@echo "The book is built: $(CURDIR)/$(BUILD)/html/index.html"
	@echo "Open that file in a browser, or serve it with"
	@echo "    $(PY) -m http.server --directory $(BUILD)/html 8000"
	@echo "and visit http://localhost:8000"

# Execution is cached per page (jupyter-cache keys on a page's code only), so the cache
# is cleared whenever mlmath/ or requirements.txt changed since the last build, and on
# CI (forced execution).
html:
	@mkdir -p $(BUILD)
	@sum=$$(cat requirements.txt $$(find mlmath -name '*.py' | LC_ALL=C sort) | sha256sum | cut -d' ' -f1); \
	if [ -n "$${CI:-}" ] || [ "$$sum" != "$$(cat $(BUILD)/.mlmath.sha256 2>/dev/null)" ]; then \
	  rm -rf $(BUILD)/.jupyter_cache; \
	  echo "Execution cache cleared (CI, or mlmath/requirements changed): every page runs."; \
	fi; \
	echo "$$sum" > $(BUILD)/.mlmath.sha256
	$(BIN)jupyter-book build . --builder html -n -W --keep-going

test: venv
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check mlmath tests

clean:
	rm -rf $(BUILD)
