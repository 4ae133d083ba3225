# lac-health: the two commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= demo-output
UI_PORT ?= 3000
SCALE  ?= area

.PHONY: demo test test-tools ui lint format screenshots bench clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11+ is needed: set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lac-health demo --out $(OUT)

test: $(STAMP) test-tools
	$(BIN)/python -m pytest -n 2 -q

test-tools:
	@bash scripts/install-test-tools.sh

ui: $(STAMP)
	@mkdir -p .dagster_home && cp config/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

screenshots: $(STAMP)
	$(BIN)/python -m reports.screenshots --out screenshots

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --scale $(SCALE)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
