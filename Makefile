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
.PHONY: bench test-browser help venv book execute html notebooks pdf pdf-build tex-packages test lint clean

# The whole-book PDF: built by xelatex into $(BUILD)/latex, copied into the site.
PDF_DIR := $(BUILD)/html/_pdf
TEX_PACKAGES := texlive-xetex texlive-latex-recommended texlive-latex-extra \
	texlive-fonts-recommended texlive-fonts-extra latexmk xindy fonts-freefont-otf

help:
	@echo "make book   build the book into $(BUILD)/html (creates $(VENV) if needed)"
	@echo "make test   run every test (creates $(VENV) if needed)"
	@echo "make test-browser  only the checks in headless Chromium"
	@echo "make pdf    build the whole book as a PDF with xelatex into $(PDF_DIR)/"
	@echo "make notebooks  write the Colab notebooks into $(BUILD)/html/_notebooks/"
	@echo "make bench  time mlmath against SciPy, scikit-learn and NetworkX"
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

# Execution is cached per page, and jupyter-cache keys on a page's code only: `execute`
# clears the cache whenever mlmath/ or requirements.txt changed since the last build (and
# always with FORCE=1; `html` sets it on CI), then runs the outdated pages in parallel,
# one BLAS thread each, so that Sphinx finds every page in the cache.
execute:
	@mkdir -p $(BUILD)
	@sum=$$(cat requirements.txt $$(find mlmath -name '*.py' | LC_ALL=C sort) | sha256sum | cut -d' ' -f1); \
	if [ -n "$(FORCE)" ] || [ "$$sum" != "$$(cat $(BUILD)/.mlmath.sha256 2>/dev/null)" ]; then \
	  rm -rf $(BUILD)/.jupyter_cache; \
	  echo "Execution cache cleared (forced, or mlmath/requirements changed): every page runs."; \
	fi; \
	echo "$$sum" > $(BUILD)/.mlmath.sha256
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(PY) book/_ext/preexecute.py $(BUILD)/.jupyter_cache 60

html:
	@$(MAKE) --no-print-directory execute FORCE=$(CI)
	$(BIN)jupyter-book build . --builder html -n -W --keep-going
	@$(MAKE) --no-print-directory notebooks

# An .ipynb of every executable page, published with the site for Colab (which cannot
# open MyST .md); its first cell installs mlmath where it is missing.
notebooks:
	rm -rf $(BUILD)/html/_notebooks
	$(PY) book/_ext/publishing.py notebooks $(BUILD)/html/_notebooks

# `make pdf` creates the venv first; `pdf-build` is the build alone (tests call it).
# Uses the execution cache of `make html` (cleared when mlmath/ or requirements.txt
# changed), so after a `make html` no page runs again.
pdf: venv pdf-build

pdf-build:
	@if ! command -v xelatex >/dev/null || ! command -v latexmk >/dev/null; then \
	  echo "make pdf needs xelatex and latexmk (TeX Live). On Debian/Ubuntu install:"; \
	  echo "    sudo apt-get install $(TEX_PACKAGES)"; \
	  exit 1; \
	fi
	@$(MAKE) --no-print-directory execute
	rm -rf $(BUILD)/latex
	$(BIN)jupyter-book build . --builder pdflatex -n -W --keep-going
	@name=$$($(PY) book/_ext/publishing.py pdf-name); \
	test -s $(BUILD)/latex/$$name || { echo "xelatex did not produce $(BUILD)/latex/$$name"; exit 1; }; \
	mkdir -p $(PDF_DIR); cp $(BUILD)/latex/$$name $(PDF_DIR)/$$name; \
	$(PY) book/_ext/publishing.py pdf-page $(BUILD)/html >/dev/null; \
	echo; echo "The book as a PDF: $(CURDIR)/$(PDF_DIR)/$$name"

# The Debian packages `make pdf` needs (.ci/run installs them when xelatex is missing).
tex-packages:
	@echo $(TEX_PACKAGES)

test: venv
	$(PY) -m pytest

# Only the checks in a real browser (Debian's Chromium), against a fresh strict build.
test-browser: venv
	$(PY) -m pytest -m browser

# Benchmarks of mlmath against the reference libraries (see README, Performance).
bench: venv
	$(PY) benchmarks/run.py --json $(BUILD)/bench/latest.json

lint: venv
	$(PY) -m ruff check .

clean:
	rm -rf $(BUILD)
