# Two commands for a newcomer: `make preview [STACK=dev]` and `make test`.
# Both create .venv and install the locked requirements when they are missing or changed (a second
# run installs nothing); `pulumi up` uses the same .venv (Pulumi.yaml: runtime.options.virtualenv).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
# Lookup results the example stacks ship (see offline/invokes/); used when the file exists.
INVOKES ?= offline/invokes/$(STACK).yaml
STAMP := $(VENV)/.installed
# Exact versions and hashes of everything requirements-dev.txt pulls in (the pack's too), for Python 3.11 on
# linux x86_64 (`make lock` after editing a requirements*.txt; tests/test_lock.py checks it).
LOCK := requirements.lock

.PHONY: preview test lint docs bench venv clean-venv
.PHONY: previews lock fuzz
.PHONY: engine e2e providers provider-checks
.PHONY: schema

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

# AGAINST=<rev>: the plan against a git revision, exit 4 when it moves the API address;
# ALLOW_ADDRESS_CHANGE=1: the move is planned (docs/runbook.md, section 6.3).
DIFF_FLAGS = $(if $(AGAINST), --against $(AGAINST))$(if $(ALLOW_ADDRESS_CHANGE), --allow-address-change)

# GNU make exits 2 whenever a recipe fails, whatever the recipe's own exit status (its manual:
# "the exit status of make is always one of three values"). So the tool's code (0 clean,
# 1 mandatory policy violation, 2 invalid config or program error, 4 API address moved) is
# printed here, and scripts that branch on it run `$(PY) -m offline preview ...` directly.
preview: $(STAMP)
	@$(PY) -m offline preview --stack $(STACK)$(if $(wildcard $(INVOKES)), --invokes $(INVOKES))$(DIFF_FLAGS) \
		|| { rc=$$?; case $$rc in 1) why="mandatory policy violation";; \
		2) why="invalid config or program error";; \
		3) why="a mandatory check cannot be verified at preview";; \
		4) why="the plan moves the API address";; \
		*) why="unexpected";; esac; \
		echo "offline preview exited $$rc ($$why); make itself exits 2 on any failure" >&2; \
		exit $$rc; }

# Every Pulumi.<stack>.yaml through the offline gate (CI: .ci/run, which the workflow runs too).
# Quiet when clean; the first failing stack stops it, with its preview shown.
previews: $(STAMP)
	@for stack_file in Pulumi.*.yaml; do \
		stack=$${stack_file#Pulumi.}; stack=$${stack%.yaml}; \
		invokes=offline/invokes/$$stack.yaml; [ -f "$$invokes" ] || invokes=; \
		out=$$($(PY) -m offline preview --strict --stack "$$stack" $${invokes:+--invokes "$$invokes"}$(DIFF_FLAGS) 2>&1) \
			|| { rc=$$?; \
			printf '%s\n' "$$out"; echo "offline preview of stack $$stack: FAILED"; exit $$rc; }; \
		echo "offline preview of stack $$stack: ok"; \
	done

# One worker per core (pytest-xdist); a file's tests stay on one worker, sharing its fixtures.
test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@test -d .mypy_cache || echo "mypy: first run, building .mypy_cache for the cloud SDKs" \
		"(several minutes and close to 1 GB; later runs take seconds)"
	$(PY) -m mypy
	@# One run per example: each is a `__main__` module, which one mypy run holds only once.
	for example in examples/*/__main__.py; do $(PY) -m mypy "$$example" || exit 1; done
	$(VENV)/bin/shellcheck components/scripts/*.sh .ci/run $(TOOLCHAIN)/build.sh $(TOOLCHAIN)/aws-provider/build.sh \
		tests/e2e/doubles/plugins/* tests/e2e/doubles/lookups.sh

# The real Pulumi CLI and YAML language host, and kurl-lb's Python and Node.js hosts, built from
# Go modules into tests/e2e/toolchain/bin (ignored): versions pinned in the toolchain's go.mod and
# yaml/go.mod; make rebuilds only when a module or a host changed.
# Needs Go (1.26+) and the Go module proxy; `make preview` and `make test` never do.
TOOLCHAIN := tests/e2e/toolchain
ENGINE := $(TOOLCHAIN)/bin/pulumi
engine: $(ENGINE)

$(ENGINE): $(TOOLCHAIN)/go.mod $(TOOLCHAIN)/go.sum $(TOOLCHAIN)/build.sh \
		$(wildcard $(TOOLCHAIN)/*/*.go) $(TOOLCHAIN)/yaml/go.mod $(TOOLCHAIN)/yaml/go.sum
	bash $(TOOLCHAIN)/build.sh
	touch $(ENGINE)

# A real AWS provider plugin for the tests: the Terraform AWS provider's planning code (Check's
# validators, Diff's replace decisions) under pulumi-terraform-bridge, built from Go modules into
# tests/e2e/toolchain/providers/bin (ignored; NOT on the PATH of the other e2e steps, where the
# pass-through doubles answer). It is not the pulumi-aws release, whose module the Go module proxy
# refuses, as it refuses GCP's and Azure's providers. Versions pinned in aws-provider/go.mod.
AWS_PROVIDER := $(TOOLCHAIN)/aws-provider
AWS_PLUGIN := $(TOOLCHAIN)/providers/bin/pulumi-resource-aws
providers: $(AWS_PLUGIN)

$(AWS_PLUGIN): $(AWS_PROVIDER)/go.mod $(AWS_PROVIDER)/go.sum $(AWS_PROVIDER)/build.sh \
		$(wildcard $(AWS_PROVIDER)/*.go $(AWS_PROVIDER)/*/*.go)
	bash $(AWS_PROVIDER)/build.sh
	touch $(AWS_PLUGIN)

# The tests that drive that plugin (its Diff against offline/replacements.py, its Check against the
# config loader's cloud limits, its schema against pulumi_aws): `make test` skips them when the
# plugin is not built; here a missing plugin is a failure.
provider-checks: $(STAMP) $(AWS_PLUGIN)
	KURL_AWS_PROVIDER_REQUIRED=1 $(PY) -m pytest -q tests/test_aws_provider_*.py

# The README's deploy path through that CLI, with pass-through provider doubles (tests/e2e/README.md).
# A released Pulumi CLI on PATH is used as it is when none was built here (tests/e2e/engine.py).
# With Go on PATH it also builds the real AWS provider (`make providers`) for step g.
RELEASED_CLI := $(if $(wildcard $(ENGINE)),,$(shell command -v pulumi 2>/dev/null))
HAVE_GO := $(shell command -v go 2>/dev/null)
e2e: $(STAMP) $(if $(RELEASED_CLI),,$(ENGINE)) $(if $(HAVE_GO),$(AWS_PLUGIN))
	$(PY) -m tests.e2e

# The property-based suite (tests/test_properties.py) with thousands of fresh random examples per
# cloud (the loader and the stack-file reader FUZZ_EXAMPLES each, the full render half of it);
# `make test` runs the same properties with a few derandomized examples.
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	KURL_LB_FUZZ=1 KURL_LB_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q \
		--durations=0 tests/test_properties.py

clean-venv:
	rm -rf $(VENV)

docs: $(STAMP)
	$(PY) -m components.config_reference > docs/config.md

# provider/schema.json: the `kurl` package's schema as the provider serves it, so that a pull
# request shows schema changes as a diff (tests/test_package_schema.py fails when it is stale).
schema: $(STAMP)
	$(PY) -m provider.schema_snapshot

bench: $(STAMP)
	$(PY) -m bench.policy_scaling
	$(PY) -m bench.gate_overhead
