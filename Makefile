# Every command a developer or CI needs. A fresh machine needs only Python 3.11+, pip and npm:
# `make test` / `make synth` / `make demo` install the rest into this folder (.venv, node_modules, .tools).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
# A supported Node (22, from the npm package `node`) comes first on PATH: the CDK CLI and jsii use it.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.venv/bin:$(CURDIR)/.tools/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
CDK := npx --no-install cdk
CDK_FLAGS := --no-notices --no-version-reporting --ci

.PHONY: help setup lint test test-fast synth deploy bench cost clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: with PYTHONDONTWRITEBYTECODE set (it is, on our shared dev machine) nothing ever
# writes .pyc files, and every process recompiles the aws-cdk-lib modules it imports: ~3 s of CPU
# to import the construct library, half the test suite's CPU time (docs/performance.md).
.venv/.synced: pyproject.toml uv.lock constructs/pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

node_modules/.synced: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: .venv/.synced node_modules/.synced ## Install Python (uv) and Node (npm) dependencies, pinned
	@node --version | grep -q '^v22\.' || { echo "expected Node 22 first on PATH, got $$(node --version)"; exit 1; }

lint: setup ## ruff and mypy (strict on the construct library)
	ruff check .
	ruff format --check .
	mypy constructs/src/workflow_constructs stacks tools app.py
	cd lambdas && mypy --config-file ../pyproject.toml --explicit-package-bases .

test: lint ## Lint, then the whole test suite
	pytest

test-fast: setup ## The test suite without lint
	pytest

synth: setup ## Synthesize every stack into cdk.out/ (no AWS account needed)
	$(CDK) synth --all --quiet $(CDK_FLAGS)
	@ls cdk.out/*.template.json

deploy: setup ## Deploy every stack to the AWS account of your current credentials
	$(CDK) deploy --all $(CDK_FLAGS) --require-approval broadening

# `make bench RUNS=5` for tighter medians; `make bench BENCH_FLAGS="--only synth"` for one group.
RUNS ?= 3
BENCH_FLAGS ?=

bench: setup ## Benchmarks (synth, imports, local runs, test suite) as a table + bench/results.json
	python -m workflow_tools.bench --runs $(RUNS) $(BENCH_FLAGS)

cost: setup ## List-price cost per 1M happy-path executions per workflow: bench/cost.json, docs/cost.md
	python -m workflow_tools.bench.cost

clean: ## Remove build output (keeps installed dependencies)
	rm -rf cdk.out dist .pytest_cache .ruff_cache .mypy_cache
