# Two commands for a newcomer: `make preview [STACK=dev]` and `make test`.
# Both create .venv and install the locked requirements when they are missing or changed (a second
# run installs nothing); `pulumi up` uses the same .venv (Pulumi.yaml: runtime.options.virtualenv).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
STAMP := $(VENV)/.installed
# Exact versions and hashes of everything requirements-dev.txt pulls in (the pack's too), for Python 3.11 on
# linux x86_64 (`make lock` after editing a requirements*.txt; tests/test_lock.py checks it).
LOCK := requirements.lock

.PHONY: preview test lint docs bench venv clean-venv
.PHONY: previews lock

venv: $(STAMP)

# Wheels only: nothing is built on install, so every file pip runs is one the lock hashed.
$(STAMP): $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: \
		-r $(LOCK)
	touch $(STAMP)

# uv resolves for the target (3.11, linux x86_64) from any machine, from package metadata alone;
# installing needs only pip. The policy pack runs in the same .venv, so one lock covers both.
UV_COMPILE = $(LOCK_TOOLS)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"
LOCK_TOOLS := .lock-tools
lock:
	test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/pip install --quiet "uv>=0.5,<1")
	$(UV_COMPILE) requirements-dev.txt -o $(LOCK)

# GNU make exits 2 whenever a recipe fails, whatever the recipe's own exit status (its manual:
# "the exit status of make is always one of three values"). So the tool's code (0 clean,
# 1 mandatory policy violation, 2 invalid config or program error) is printed here, and scripts
# that branch on it run `$(PY) -m offline preview ...` directly (after `make venv`).
preview: $(STAMP)
	@$(PY) -m offline preview --stack $(STACK)$(if $(AGAINST), --against $(AGAINST)) || { rc=$$?; \
		case $$rc in 1) why="mandatory policy violation";; 2) why="invalid config or program error";; \
		*) why="unexpected";; esac; \
		echo "offline preview exited $$rc ($$why); make itself exits 2 on any failure" >&2; exit $$rc; }

# Every Pulumi.<stack>.yaml through the offline gate (CI: .ci/run, which the workflow runs too).
# Quiet when clean; the first failing stack stops it, with its preview shown.
previews: $(STAMP)
	@for stack_file in Pulumi.*.yaml; do \
		stack=$${stack_file#Pulumi.}; stack=$${stack%.yaml}; \
		out=$$($(PY) -m offline preview --stack "$$stack" 2>&1) || { rc=$$?; \
			printf '%s\n' "$$out"; echo "offline preview of stack $$stack: FAILED"; exit $$rc; }; \
		echo "offline preview of stack $$stack: ok"; \
	done

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@test -d .mypy_cache || echo "mypy: first run, building .mypy_cache for the cloud SDKs" \
		"(several minutes and close to 1 GB; later runs take seconds)"
	$(PY) -m mypy
	$(VENV)/bin/shellcheck components/scripts/*.sh .ci/run

clean-venv:
	rm -rf $(VENV)

docs: $(STAMP)
	$(PY) -m components.config_reference > docs/config.md

bench: $(STAMP)
	$(PY) -m bench.policy_scaling
