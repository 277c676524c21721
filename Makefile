# graphnas developer entry points. `make demo` and `make test` create .venv on first use (CPU torch
# pinned by constraints.txt) and reuse it afterwards: the stamp file makes re-runs instant.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.graphnas-installed
BIN := $(VENV)/bin

.PHONY: venv demo test test-all lint format clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,ray]'
	touch $(STAMP)

# A GraphPNAS search on the NAS-Bench-201 table shipped inside the package.
demo: $(STAMP)
	$(BIN)/graphnas search --config experiments/nb201.yaml

# The default suite (CPU; slow and GPU tests deselected). pytest exits 5 when nothing ran: that fails.
test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ""

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean-venv:
	rm -rf $(VENV)
