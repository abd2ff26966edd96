# LaoLink: `make run` links the demo data and serves the API and review page; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= var/laolink.duckdb
DEMO_DIR ?= var/demo
DEMO_PERSONS ?= 2000
HOST ?= 127.0.0.1
PORT ?= 8000
SIZE ?= 20000

.PHONY: run test lint bench browser clean soak

$(BIN)/laolink: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Debian's Chromium and ChromeDriver drive the review-page tests (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "chromium is missing and apt-get is unavailable" >&2; exit 1; }; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-core >/dev/null; }

# The demo's source files go to an inbox folder; truth.csv stays beside it, for `laolink evaluate`.
$(DEMO_DIR)/truth.csv: | $(BIN)/laolink
	$(BIN)/laolink demo-data --out $(DEMO_DIR) --persons $(DEMO_PERSONS) --seed 7
	mkdir -p $(DEMO_DIR)/inbox && mv $(DEMO_DIR)/night1_* $(DEMO_DIR)/inbox/

run: $(BIN)/laolink $(DEMO_DIR)/truth.csv
	$(BIN)/laolink nightly --inbox $(DEMO_DIR)/inbox --db $(DB)
	$(BIN)/laolink serve --db $(DB) --inbox $(DEMO_DIR)/inbox --host $(HOST) --port $(PORT) --demo-users

test: $(BIN)/laolink browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(BIN)/laolink
	$(BIN)/ruff check .

bench: $(BIN)/laolink
	$(BIN)/python benchmarks/run_all.py --size $(SIZE)

# 32 clients read persons and post decisions while a nightly run publishes; fails on any 5xx or lost decision.
SOAK_SECONDS ?= 120
soak: $(BIN)/laolink
	LAOLINK_SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python benchmarks/soak.py

clean:
	rm -rf var build *.egg-info
