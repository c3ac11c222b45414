# Documentation checks: the README's traceability table cites tests that exist.
TEST_TARGETS += test-docs

.PHONY: test-docs
test-docs: setup-tool-python ## The README's cited tests and relative links exist.
	$(PYTEST) tests/docs --junitxml=$(REPORTS)/docs.xml

# The shared test helpers and scripts belong to no area; lint them here.
LINT_TARGETS += lint-platform

.PHONY: lint-platform
lint-platform: setup-tool-python ## ruff (lint + format check) on tests/support, tests/docs, tests/rehearsal and scripts.
	uv run --frozen ruff check tests/support tests/docs tests/rehearsal tests/conftest.py scripts
	uv run --frozen ruff format --check tests/support tests/docs tests/rehearsal tests/conftest.py scripts
