# The two commands of the README:
#   make run   installs opsledger and serves it on embedded SQLite with a demo company
#   make test  installs opsledger with its test tools and runs every check and test
#
# Both install from requirements.lock (exact versions of everything, test tools
# included), and only when pyproject.toml or the lock changed since the last install.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
LOCK := requirements.lock
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: a module's tests stay on one (they share its app and store).
TEST_WORKERS ?= 2

.PHONY: install install-test run test lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per install kind: remade (and the install rerun) when its inputs change.
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) --editable ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/opsledger serve --demo --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Re-resolve the lock after changing the dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
