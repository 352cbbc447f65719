# One venv in .venv, built on first use; every target depends on it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make bench BENCH_ARGS='--quick --backends sqlite --json bench.json'
BENCH_ARGS ?=

.PHONY: run demo-reset test test-sqlite lint bench clean chaos fuzz browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/inmail serve --demo --clock manual --database-url sqlite:///demo.db

# The demo afresh: `make run` keeps demo.db (and its manual clock) between runs.
demo-reset: $(STAMP)
	rm -f demo.db demo.db-wal demo.db-shm
	$(MAKE) run

# Debian's Chromium for the browser tests: installed when missing (as root),
# else a one-line message with the command to run.
browser:
	@scripts/ensure-chromium

test: $(STAMP) browser
	$(BIN)/pytest

test-sqlite: $(STAMP)
	INMAIL_TEST_BACKENDS=sqlite $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info .pytest_cache

bench: $(STAMP)
	$(BIN)/inmail bench $(BENCH_ARGS)

# The API against its own description for a long while: every check of
# `schemathesis run` (see schemathesis.toml), on SQLite.
fuzz: $(STAMP)
	INMAIL_TEST_BACKENDS=sqlite INMAIL_FUZZ_EXAMPLES=$${INMAIL_FUZZ_EXAMPLES:-500} \
	INMAIL_FUZZ_SECONDS=$${INMAIL_FUZZ_SECONDS:-600} \
	$(BIN)/pytest -s -p no:cacheprovider tests/api/test_schema_fuzz.py -k schemathesis_run

# The long crash and race runs (docs/reliability.md); override any variable.
chaos: $(STAMP)
	INMAIL_CHAOS_KILLS=$${INMAIL_CHAOS_KILLS:-30} INMAIL_CHAOS_SECONDS=$${INMAIL_CHAOS_SECONDS:-180} \
	INMAIL_RACE_ITERATIONS=$${INMAIL_RACE_ITERATIONS:-100} \
	$(BIN)/pytest -s -p no:cacheprovider tests/reliability/test_crash.py tests/reliability/test_races.py \
	tests/reliability/test_webhook_crash.py
