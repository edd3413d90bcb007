# innofund: `make run` and `make test` each set everything up on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast test-reliability-long reliability-report duckdb1 ui bench bench-warehouse clean

setup: $(STAMP)

# Reinstall whenever the pinned set or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . --config-settings editable_mode=compat
	touch $(STAMP)

run: setup
	$(BIN)/innofund run

# DuckDB 1.x beside the project, for the test that opens the warehouse as a 1.x analyst would.
duckdb1: .venv-duckdb1/.installed
.venv-duckdb1/.installed:
	test -x .venv-duckdb1/bin/python || $(PYTHON) -m venv .venv-duckdb1
	.venv-duckdb1/bin/python -m pip install --quiet --disable-pip-version-check duckdb==1.4.0
	touch $@

test: setup duckdb1
	$(BIN)/python -m pytest -p no:cacheprovider -m "not reliability_long" $(PYTEST_ARGS)

# Every corpus case alone and more kills (INNOFUND_FAULT_KILLS); .ci/run runs it after make test.
test-reliability-long: setup
	INNOFUND_FAULT_KILLS=$${INNOFUND_FAULT_KILLS:-5} $(BIN)/python -m pytest -p no:cacheprovider -m reliability_long $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -p no:cacheprovider -m "not slow and not reliability_long" $(PYTEST_ARGS)

reliability-report: setup
	$(BIN)/python -m tests.reliability.report docs/reliability-cases.md

ui: setup
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dg dev

bench: setup
	$(BIN)/innofund bench

bench-warehouse: setup
	$(BIN)/python benchmarks/warehouse_queries.py

clean:
	rm -rf output .dagster_home bench_work
