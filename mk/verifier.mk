# The verifier worker (services/verifier, docs/adr/0093-verifier.md): lint, types, unit and
# end-to-end tests. The end-to-end tests run depot from its own environment, so setting
# up the verifier sets up depot's too.
VERIFIER := services/verifier
VERIFIER_UV := uv run --frozen

LINT_TARGETS += lint-verifier
TEST_TARGETS += test-verifier

.PHONY: lint-verifier test-verifier setup-verifier
# Setup by need (ADR 0080): the pinned uv, the worker's and depot's locked environments.
setup-verifier: setup-run ## Install what test-verifier and lint-verifier use: uv, the worker's and depot's environments.
	@bash scripts/setup/python.sh $(VERIFIER)

lint-verifier: setup-verifier ## ruff (lint + format check) and mypy --strict on the verifier worker.
	cd $(VERIFIER) && $(VERIFIER_UV) ruff check . && $(VERIFIER_UV) ruff format --check . && $(VERIFIER_UV) mypy

test-verifier: setup-verifier ## verifier unit and end-to-end tests (depot, S3 events, SQS and DynamoDB on a moto server over HTTP).
	@mkdir -p $(REPORTS)
	cd $(VERIFIER) && $(VERIFIER_UV) pytest --junitxml=$(REPORTS)/verifier.xml
