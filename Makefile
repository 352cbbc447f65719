# One venv in .venv, built on first use; every target depends on it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make bench BENCH_ARGS='--quick --backends sqlite --json bench.json'
BENCH_ARGS ?=

.PHONY: run test test-sqlite lint bench clean chaos

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/inmail serve --demo --clock manual --database-url sqlite:///demo.db

test: $(STAMP)
	$(BIN)/pytest

test-sqlite: $(STAMP)
	INMAIL_TEST_BACKENDS=sqlite $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info .pytest_cache

bench: $(STAMP)
	$(BIN)/inmail bench $(BENCH_ARGS)

# The long crash and race runs (docs/reliability.md); override any variable.
chaos: $(STAMP)
	INMAIL_CHAOS_KILLS=$${INMAIL_CHAOS_KILLS:-30} INMAIL_CHAOS_SECONDS=$${INMAIL_CHAOS_SECONDS:-180} \
	INMAIL_RACE_ITERATIONS=$${INMAIL_RACE_ITERATIONS:-100} \
	$(BIN)/pytest -s -p no:cacheprovider tests/reliability/test_crash.py tests/reliability/test_races.py
