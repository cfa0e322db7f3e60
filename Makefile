# The two commands a newcomer needs: `make plan` (offline plan of both stacks) and `make test`.
PYTHON_BIN ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: plan test lint bench clean

$(RUNTIME): requirements.txt
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

plan: $(RUNTIME)
	$(PY) -m deploy plan --stack all

lint: $(DEV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest

bench: $(DEV)
	$(PY) -m bench

clean:
	rm -rf $(VENV)
