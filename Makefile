# One entry point for people and CI. Each area of the platform adds its own targets in
# mk/<area>.mk (setup scripts, test targets, bench targets), so areas never edit this file.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
export ROOT := $(CURDIR)
export PATH := $(CURDIR)/.cache/bin:$(PATH)
REPORTS := $(CURDIR)/.cache/reports
PYTEST := uv run --frozen --project $(CURDIR) pytest

# Filled in by mk/*.mk.
SETUP_SCRIPTS := scripts/setup/python.sh
LINT_TARGETS :=
TEST_TARGETS :=
# Run by CI as legs of their own, not by `make test` (too long for its budget).
CI_ONLY_TARGETS :=
BENCH_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help setup setup-python lint test bench run clean
help: ## List the targets.
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

setup: ## Install every tool the project uses (pip, apt, npm); idempotent.
	@for s in $(SETUP_SCRIPTS); do bash "$$s"; done

# Setup by need (docs/adr/0080-setup-by-need.md): a target installs only what it uses.
# `setup-tool-<name>` runs scripts/setup/<name>.sh; each area's `setup-<area>` lists the
# tools its checks use, and its test target depends on it, so `make test-<area>` works
# alone on a fresh clone. make runs each at most once per invocation, left to right.
setup-tool-%:
	@bash scripts/setup/$*.sh

setup-python: setup-tool-python ## The pinned uv and every locked Python environment.

lint: setup $(LINT_TARGETS) ## Lint, format and type checks of every area.

test: setup ## Run the whole suite: lints, unit, integration, platform and live tests.
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	@status=0; for t in $(LINT_TARGETS) $(TEST_TARGETS); do \
	  echo "==> $$t"; $(MAKE) --no-print-directory "$$t" || { echo "FAILED: $$t"; status=1; }; \
	done; \
	uv run --frozen --project $(CURDIR) python scripts/test_summary.py $(REPORTS); \
	exit $$status

bench: setup $(BENCH_TARGETS) ## Benchmarks; writes bench/results/ and prints tables.

clean: ## Remove caches and virtual environments.
	rm -rf .cache .venv libs/*/.venv services/*/.venv
