# Two commands for a newcomer: `make preview [STACK=dev]` and `make test`.
# Both create .venv and install requirements when they are missing or changed (a second run
# installs nothing); `pulumi up` uses the same .venv (Pulumi.yaml: runtime.options.virtualenv).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
# Lookup results the example stacks ship (see offline/invokes/); used when the file exists.
INVOKES ?= offline/invokes/$(STACK).yaml
STAMP := $(VENV)/.installed

.PHONY: preview test lint docs bench venv clean-venv

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

preview: $(STAMP)
	$(PY) -m offline preview --stack $(STACK)$(if $(wildcard $(INVOKES)), --invokes $(INVOKES))$(if $(AGAINST), --against $(AGAINST))

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

clean-venv:
	rm -rf $(VENV)

docs: $(STAMP)
	$(PY) -m components.config_reference > docs/config.md

bench: $(STAMP)
	$(PY) -m bench.policy_scaling
	$(PY) -m bench.gate_overhead
