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
# `make diff` compares cdk.out with BASE synthesized in .diff/base; DIFF_ARGS go to `workflow-review diff`.
BASE ?= main
DIFF_ARGS ?=
# `template` reads the deployed templates through the bootstrap lookup role (read-only); `change-set`
# asks CloudFormation itself what it would replace, but needs the deploy role.
CDK_DIFF_METHOD ?= template

.PHONY: help setup lint test test-fast reliability-report synth diff diff-deployed diagrams demo deploy bench cost clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# With PYTHONDONTWRITEBYTECODE set (it is on our shared dev machine) Python never caches bytecode, and
# every process recompiles the aws-cdk-lib modules it imports: ~3 s of CPU to import the construct
# library, half the test suite's CPU (docs/performance.md). Then compile once, at install. Elsewhere
# Python caches what it imports by itself, cheaper than compiling all ~10,000 installed files.
UV_SYNC_FLAGS := --frozen $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode)
.venv/.synced: pyproject.toml uv.lock constructs/pyproject.toml runtime/pyproject.toml local-cloud/pyproject.toml review/pyproject.toml cli/pyproject.toml | $(UV)
	$(UV) sync $(UV_SYNC_FLAGS)
	@touch $@

node_modules/.synced: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: .venv/.synced node_modules/.synced ## Install Python (uv) and Node (npm) dependencies, pinned
	@node --version | grep -q '^v22\.' || { echo "expected Node 22 first on PATH, got $$(node --version)"; exit 1; }

lint: setup ## ruff, mypy (strict on the libraries, the CLI and business_workflows), zizmor (GitHub Actions workflows)
	ruff check .
	ruff format --check .
	mypy constructs/src/workflow_constructs runtime/src/workflow_runtime local-cloud/src/workflow_local_cloud review/src/workflow_review cli/src/workflow_cli business_workflows stacks tools app.py
	zizmor --offline --quiet .github/
	cd lambdas && mypy --config-file ../pyproject.toml --explicit-package-bases .
	cd examples/orders-team && mypy

test: lint ## Lint, then the whole test suite
	pytest

test-fast: setup ## The test suite without lint
	pytest

reliability-report: setup ## Run the reliability suites and write their counts into README.md
	pytest tests/reliability -q --reliability-readme=README.md

# Offline synth for review, diff and diagrams: the placeholder senders are allowed there. A deploy
# (`make deploy`, `cdk deploy`) synthesizes again without it and fails until real senders are set.
synth: setup ## Synthesize every stack into cdk.out/ (no AWS account needed)
	$(CDK) synth --quiet $(CDK_FLAGS) -c allowPlaceholderSenders=true
	@ls cdk.out/*.template.json

diff: synth ## Readable diff of cdk.out against BASE (default main), synthesized with BASE's own pins
	tools/synth-ref "$(BASE)" .diff/base
	workflow-review diff .diff/base/cdk.out cdk.out $(DIFF_ARGS) || [ $$? -eq 1 ]

diff-deployed: synth ## `cdk diff` of cdk.out against the deployed stacks (needs AWS credentials; exit 0 on changes)
	$(CDK) diff --app cdk.out --method $(CDK_DIFF_METHOD) --fail-on never $(CDK_FLAGS)

diagrams: synth ## Mermaid page per workflow in docs/workflows (+ SVG/PNG in build/diagrams with Graphviz)
	workflow-review diagrams cdk.out --out docs/workflows --readme README.md --images build/diagrams

demo: setup ## Deploy to a local cloud with the CDK CLI and run every workflow's demo scenarios
	python -m workflow_tools.demo

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
	rm -rf cdk.out dist build .diff .local-cloud .pytest_cache .ruff_cache .mypy_cache
