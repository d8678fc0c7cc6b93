# portvakt — every target bootstraps what it needs (a virtualenv with the locked dependencies).
PYTHON ?= python3
VENV ?= .venv
UV_VERSION ?= 0.13.9
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup run test test-sqlite test-postgresql lint format bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --quiet --python $(BIN)/python
	touch $@

setup: $(VENV)/.synced

run: setup
	$(BIN)/portvakt serve

test: test-sqlite test-postgresql

test-sqlite: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# The storage-touching tests again on PostgreSQL (a database of the run's own); skipped, with the
# reason, when no PostgreSQL is reachable.
test-postgresql: setup
	PORTVAKT_TEST_DATABASE=postgresql $(BIN)/pytest -m "db" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests bench examples scripts
	$(BIN)/ruff format --check src tests bench examples scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format src tests bench examples scripts
	$(BIN)/ruff check --fix src tests bench examples scripts

bench: setup
	$(BIN)/python -m bench.testdata
	$(BIN)/python -m bench.token

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
