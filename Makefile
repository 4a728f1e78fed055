# c360 — the two commands a new user needs: `make demo` and `make test`.
# Setup is done once and remembered by a stamp file: a second run skips it
# unless pyproject.toml or constraints.txt changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.c360-installed
# uv installs the same pinned set as pip, in parallel and with bytecode compiled
# on both cores, several times faster than pip alone.
UV     := uv==0.13.9

.PHONY: setup lock demo test lint contracts bench-ingest bench-identity eval-febrl bench-year bench-lookup clean-state

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "c360 needs Python 3.11, found " + sys.version.split()[0]'
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { echo "PostgreSQL server binaries not found: install them with 'apt-get install postgresql' (Debian/Ubuntu), or set C360_WAREHOUSE_DSN to use your own server."; \
	    test -n "$$C360_WAREHOUSE_DSN"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(UV)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -c constraints.txt \
	  -e ".[simulator,report,celery,dev]"
	@touch $(STAMP)
	@echo "c360 is installed: $(BIN)/c360"

# constraints.txt anew from pyproject.toml's ranges: the newest versions they allow, every extra
# included, versions already locked kept unless a range no longer admits them.
lock: setup
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 --no-header \
	  --no-annotate --quiet -o constraints.txt

demo: setup
	$(BIN)/c360 demo

# The Airflow UI on the metadata the demo wrote (http://127.0.0.1:8080), and dbt docs + data docs.
ui: setup
	$(BIN)/c360 ui

docs: setup
	$(BIN)/c360 docs

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

# What follows from contracts/*.yml, anew: docs/contracts.md and the dbt sources of the silos
# of delimited files (a test fails while a committed file differs), then expectations/, whose
# raw suites the contracts make (GX declares against a warehouse: the embedded one, or
# C360_WAREHOUSE_DSN). Commit what changed.
contracts: setup
	$(BIN)/python -m c360.ingest.contracts write
	$(BIN)/c360 up
	$(BIN)/python -m c360.quality.declare

# One large business date through the ingest loaders, beside plain COPY (prints figures).
bench-ingest: setup
	$(BIN)/python benchmarks/bench_ingest.py

# Identity resolution of 100,000 persons, full and one incremental night (prints figures).
bench-identity: setup
	$(BIN)/python benchmarks/bench_identity.py --people 100000

# Identity resolution on FEBRL's public data sets: precision, recall, F1 and the missed and
# false pairs by cause (FEBRL4 linked across finance and store, then FEBRL3 deduplicated).
eval-febrl: setup
	$(BIN)/python benchmarks/eval_febrl.py --set febrl4
	$(BIN)/python benchmarks/eval_febrl.py --set febrl3

# A year of nights for 500 persons: every date loaded, the last night built, gated
# and evaluated (prints figures; `benchmarks/bench_year.py --days 30` to compare).
bench-year: setup
	$(BIN)/python benchmarks/bench_year.py --people 500 --days 365

# The lookup API over synthetic customers under a bounded load on the loopback (prints figures).
bench-lookup: setup
	$(BIN)/python benchmarks/bench_lookup.py --customers 1000000 --clients 50 --rate 4 --seconds 30

# Stops the embedded PostgreSQL and removes all local state (.c360/).
clean-state: setup
	-$(BIN)/c360 down
	rm -rf .c360
