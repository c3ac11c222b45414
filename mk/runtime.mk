# The shared service runtime (libs/service-runtime, docs/adr/0090-shared-service-runtime.md):
# lint, types and its own unit tests, in its own locked environment.
RUNTIME := libs/service-runtime
RUNTIME_UV := uv run --frozen

LINT_TARGETS += lint-runtime
TEST_TARGETS += test-runtime

.PHONY: lint-runtime test-runtime setup-runtime
# Setup by need (ADR 0080): the pinned uv and the runtime's locked environment, nothing else.
setup-runtime: ## Install what test-runtime and lint-runtime use: the pinned uv and the runtime's environment.
	@bash scripts/setup/python.sh $(RUNTIME)

lint-runtime: setup-runtime ## ruff (lint + format check) and mypy --strict on the shared service runtime.
	cd $(RUNTIME) && $(RUNTIME_UV) ruff check . && $(RUNTIME_UV) ruff format --check . && $(RUNTIME_UV) mypy

test-runtime: setup-runtime ## The shared service runtime's unit tests (real moto server over HTTP for AWS).
	@mkdir -p $(REPORTS)
	cd $(RUNTIME) && $(RUNTIME_UV) pytest --junitxml=$(REPORTS)/runtime.xml
