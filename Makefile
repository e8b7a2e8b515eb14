# The two set-up commands of the README. Each installs what it needs on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install test-deps

run: $(VENV)/.installed
	$(BIN)/explorer build
	$(BIN)/explorer related "Gemma 2: Improving Open Language Models at a Practical Size" -k 5

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

# ruff (rules and format) and mypy, as CI runs them.
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check explorer tests benchmarks
	$(BIN)/ruff format --check explorer tests benchmarks
	$(BIN)/mypy

install: $(VENV)/.installed

# torch first, pinned: its CPU wheel is on disk here; a bare `torch` pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

# Browser tests drive Debian's Chromium (never a downloaded browser build). The ray extra too,
# so that tests/test_ray.py (a build on a local Ray instance) runs, not skips.
$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test,ray]'
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q && apt-get install -y -q chromium; } || echo "chromium not installed: browser tests will be skipped"
	touch $@

$(VENV)/.installed-lint: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[lint]'
	touch $@
