# Two commands for a new user: `make demo` (end-to-end run on the shipped sample) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Prefect's defaults live in flows/environment.py (the prefect engine and the tests apply them); models never
# come from a hub.
export HF_HUB_OFFLINE := 1

.PHONY: install dev demo lint test test-all bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned to the CPU build, so nothing later pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

demo: install
	$(BIN)/voc demo --out out/demo

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: dev
	bash scripts/ensure_chromium.sh || echo "chromium unavailable: browser tests will be skipped"
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --dist loadgroup

test-all: dev
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: dev
	$(BIN)/python -m bench.speed

clean:
	rm -rf out .pytest_cache test-artifacts
