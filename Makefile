# graphnas developer entry points. `make demo` and `make test` create .venv on first use (CPU torch
# pinned by constraints.txt) and reuse it afterwards: the stamp file makes re-runs instant.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.graphnas-installed
BIN := $(VENV)/bin

.PHONY: venv demo test test-all bench bench-quick lint format clean-venv

venv: $(STAMP)

# One line per step; pip's own output goes to $(VENV)/pip.log (its tail is shown if it fails).
$(STAMP): pyproject.toml constraints.txt
	@if test -x $(BIN)/python; then echo "set-up: reusing $(VENV)"; \
	else echo "set-up: creating $(VENV) with $(PYTHON)" && $(PYTHON) -m venv $(VENV); fi
	@echo "set-up: installing graphnas and its pinned dependencies (CPU torch; minutes the first time)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-e '.[dev,ray]' > $(VENV)/pip.log 2>&1 || { tail -n 20 $(VENV)/pip.log; \
		echo "set-up: pip failed; its full log is $(VENV)/pip.log"; exit 1; }
	@touch $(STAMP)
	@echo "set-up: done; run commands as $(BIN)/graphnas, or first: source $(BIN)/activate"

# A GraphPNAS search on the NAS-Bench-201 table shipped inside the package.
demo: $(STAMP)
	$(BIN)/graphnas search --config experiments/nb201.yaml

# The default suite (CPU; slow and GPU tests deselected). pytest exits 5 when nothing ran: that fails.
test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ""

# Every figure BENCHMARKS.md quotes (benchmarks/suite.py, full mode: about 70 min on an idle 2-core
# machine), then its tables regenerated from benchmarks/results/. bench-quick: the CI-sized mode
# (records in benchmarks/results/quick/, BENCHMARKS.md untouched).
bench: $(STAMP)
	$(BIN)/python -m benchmarks --mode full
	$(BIN)/python -m benchmarks render

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --mode quick

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean-venv:
	rm -rf $(VENV)
