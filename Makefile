# Every target sets up (or reuses) .venv from the repo's own files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EMULATOR_PORT ?= 8001
DAGSTER_PORT ?= 3000
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: dev test test-latest-dagster bench mutation lint emulator clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The demo needs only the package itself (the test extras add browsers' drivers, linters...).
DEV_STAMP := $(VENV)/.installed-dev
$(DEV_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make dev PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

## dev: the demo — Airbyte emulator in the background (rows land in data/airbyte.sqlite), then
## `dagster dev` on http://127.0.0.1:3000 with DAGSTER_HOME=.dagster_home; Ctrl-C stops both
dev: $(DEV_STAMP)
	@$(BIN)/airbyte-ops dev --emulator-port $(EMULATOR_PORT) --port $(DAGSTER_PORT)

## test: the whole suite (unit, emulator, client, resource, Dagster, daemon, browser, PostgreSQL)
## Installs Debian's chromium and postgresql first when missing (scripts/system-packages.sh), or stops
## saying how; AIRBYTE_OPS_SKIP=browser,postgres leaves them out, listed at the end of the run.
## Four workers on two cores: most tests wait on HTTP, the daemon or the browser, not on the CPU.
test: $(STAMP)
	@scripts/system-packages.sh
	$(BIN)/pytest -n 4 -q

## test-latest-dagster: the tests of what uses Dagster's internals (the executor, pools, cron, tags, catalog
## loading, run termination) against the newest dagster the package index has, in its own venv
## (.venv-latest-dagster), ignoring the <1.14 bound; not part of `make test`. See docs/upgrading-dagster.md.
LATEST_VENV := .venv-latest-dagster
LATEST_BIN := $(LATEST_VENV)/bin
LATEST_DAGSTER_TESTS ?= tests/test_architecture.py tests/concurrency tests/config tests/schedules \
	tests/assets/test_definitions.py tests/assets/test_run_termination.py tests/assets/test_step_logs.py \
	tests/resource tests/observer/test_emulator_scheduler.py
test-latest-dagster:
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_BIN)/pip install --quiet --upgrade pip
	$(LATEST_BIN)/python tests/latest_dagster_requirements.py > $(LATEST_VENV)/requirements.txt
	$(LATEST_BIN)/pip install --quiet --upgrade -r $(LATEST_VENV)/requirements.txt
	$(LATEST_BIN)/pip install --quiet --no-deps -e .
	@$(LATEST_BIN)/python -c 'import dagster; print("testing against dagster", dagster.__version__)'
	AIRBYTE_OPS_SKIP=postgres $(LATEST_BIN)/pytest -n 4 -q -p no:cacheprovider $(LATEST_DAGSTER_TESTS)

## bench: benchmark tables, ours vs dagster-airbyte (not part of `make test`); writes benchmarks/results.md
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks

## mutation: mutation testing (mutmut) of the retry transport, config values, Quartz conversion, the
## poll rule and the sync's job identity and ownership rules against their fast tests; not part of
## `make test` (about 12 minutes on 2 cores). Scores and the equivalent mutants: docs/testing.md.
## mutants/ is removed first: mutmut does not re-mutate a file it once copied unmutated.
mutation: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results
	$(BIN)/mutmut results --all true | sed -E 's/^ *dagster_airbyte_ops\.([a-z_]+\.[a-z_]+)\..*: (.*)$$/\1 \2/' | sort | uniq -c

lint: $(STAMP)
	$(BIN)/ruff check dagster_airbyte_ops tests benchmarks demo definitions.py examples
	$(BIN)/ruff format --check dagster_airbyte_ops tests benchmarks demo definitions.py examples
	$(BIN)/mypy dagster_airbyte_ops

emulator: $(STAMP)
	$(BIN)/airbyte-ops emulator --port $(EMULATOR_PORT) --seed demo

clean:
	rm -rf $(VENV) $(LATEST_VENV) .dagster_home .pytest_cache .mypy_cache .ruff_cache
