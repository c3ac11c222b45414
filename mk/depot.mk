# The depot service: lint, types, unit + integration tests, contract fuzzing, local run.
DEPOT := services/depot
DEPOT_UV := uv run --frozen

LINT_TARGETS += lint-depot
TEST_TARGETS += test-depot
SETUP_SCRIPTS += scripts/setup/openapi-lint.sh

.PHONY: lint-depot test-depot run setup-run setup-depot
# `make run` is a newcomer's first command: it installs the pinned uv and the service's
# locked environment, never a container runtime, Terraform, Helm or a scanner (ADR 0080;
# tests/rehearsal/test_setup_by_need.py holds it to that).
setup-run: ## Install only what make run needs: the pinned uv and the service's locked environment.
	@bash scripts/setup/python.sh $(DEPOT)

setup-depot: setup-run setup-tool-openapi-lint ## Install what test-depot uses (+ Spectral from npm).

lint-depot: setup-run ## ruff (lint + format check) and mypy --strict on the depot service.
	cd $(DEPOT) && $(DEPOT_UV) ruff check . && $(DEPOT_UV) ruff format --check . && $(DEPOT_UV) mypy

test-depot: setup-depot ## depot unit and integration tests (real moto server over HTTP).
	cd $(DEPOT) && $(DEPOT_UV) pytest -n 2 --junitxml=$(REPORTS)/depot.xml

run: setup-run ## Run depot on http://127.0.0.1:8080 (PORT overrides) against a local AWS emulator.
	cd $(DEPOT) && exec $(DEPOT_UV) python -m depot.devserver
