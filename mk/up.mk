# `make up`: the platform on one machine (ADR 0081): the AWS emulator, depot behind the
# fault proxy, a real Prometheus with the chart's rules and a real Alertmanager with the
# platform's routing, a receiver printing what would page, bounded traffic and a fault
# switch, all on 127.0.0.1; Ctrl-C stops everything. Its test drives a dependency
# outage to a printed page, opens Prometheus' alerts page in headless Chromium (the
# screenshot lands in .cache/reports/) and checks that nothing is left running.
TEST_TARGETS += test-up
LINT_TARGETS += lint-up
UP := uv run --frozen --project $(CURDIR) python -m tools.up

.PHONY: up up-fault setup-up test-up lint-up
setup-up: setup-tool-python setup-tool-prometheus setup-tool-chromium ## Install what make up and test-up use.

up: setup-up ## The platform on loopback: depot, Prometheus, Alertmanager, a page receiver, traffic, a fault switch (Ctrl-C stops all).
	$(UP)

up-fault: ## Set the fault of a running `make up`: FAULT=outage|errors|none.
	$(UP) fault $(FAULT)

test-up: setup-up ## `make up` end to end: an outage pages the receiver, Chromium shows it firing, Ctrl-C leaves nothing running.
	$(PYTEST) tests/up -o junit_family=xunit1 --junitxml=$(REPORTS)/up.xml

lint-up: setup-tool-python ## ruff (lint + format check) and mypy on tools/up and its tests.
	uv run --frozen ruff check tools/up tests/up
	uv run --frozen ruff format --check tools/up tests/up
	uv run --frozen mypy --ignore-missing-imports --explicit-package-bases tools/up tests/up
