# Two entry points, as in the README: `make report` and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# axe-core for the accessibility tests, pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/.installed

.PHONY: report test

report: $(VENV)/.installed
	$(BIN)/netreport build

test: $(VENV)/.installed $(AXE)
	$(BIN)/python -m pytest

$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@
