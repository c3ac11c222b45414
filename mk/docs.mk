# Documentation: the site (mkdocs.yml, ADR 0083) built offline with every link checked,
# opened in headless Chromium; the traceability table (docs/traceability.md) cites
# tests that exist.
SETUP_SCRIPTS += scripts/setup/chromium.sh scripts/setup/docs.sh
TEST_TARGETS += test-docs

# Material prints a notice about MkDocs 2 on every build; it is not a warning of ours.
MKDOCS := NO_MKDOCS_2_WARNING=1 uv run --frozen --project $(CURDIR) mkdocs

.PHONY: docs docs-serve docs-setup setup-docs test-docs test-docs-site
setup-docs: setup-tool-python setup-tool-chromium setup-tool-docs ## Install what the site and test-docs use (Python env, Chromium, Mermaid).

docs-setup: setup-docs

docs: setup-docs ## Build the documentation site into .cache/site (mkdocs --strict: any warning fails).
	$(MKDOCS) build --strict

docs-serve: setup-docs ## Serve the documentation site on http://127.0.0.1:8000, rebuilt on change.
	$(MKDOCS) serve --strict --dev-addr 127.0.0.1:8000

test-docs: setup-docs ## The site builds and opens in Chromium; the traceability table's tests and links exist.
	$(PYTEST) tests/docs --junitxml=$(REPORTS)/docs.xml

test-docs-site: setup-docs ## Only the site: strict build, no external fetches, home page and a runbook in Chromium.
	$(PYTEST) tests/docs/test_site.py

# The shared test helpers, scripts and the site's hooks belong to no area; lint them here.
LINT_TARGETS += lint-platform

.PHONY: lint-platform
lint-platform: setup-tool-python ## ruff (lint + format check) on tests/support, tests/docs, tests/rehearsal, scripts and tools/docs_site; mypy --strict on the site's hooks.
	uv run --frozen ruff check tests/support tests/docs tests/rehearsal tests/conftest.py scripts tools/docs_site
	uv run --frozen ruff format --check tests/support tests/docs tests/rehearsal tests/conftest.py scripts tools/docs_site
	uv run --frozen mypy --strict tools/docs_site
