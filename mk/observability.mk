# Observability: rule sources rendered into the chart's PrometheusRule, promtool and
# amtool tests, dashboards, runbooks, the log pipeline's field contract, and two live
# tests: two depot instances with real Prometheus, Alertmanager and blackbox exporter (a
# fast-burn page reaching the pager; every runbook query checked), and the platform's own
# health alerts (probe, rule failures, Alertmanager failing to send, exporter absent).
SETUP_SCRIPTS += scripts/setup/prometheus.sh
TEST_TARGETS += test-observability
LINT_TARGETS += lint-observability

.PHONY: lint-observability test-observability observability-generate setup-observability
setup-observability: setup-tool-python setup-tool-helm setup-tool-node-validators setup-tool-prometheus ## Install what test-observability uses.

lint-observability: setup-tool-python ## ruff (lint + format check) on the generators and the observability tests; promtool/amtool config checks run in the tests.
	uv run --frozen ruff check observability tests/observability
	uv run --frozen ruff format --check observability tests/observability

# xunit1: keeps the figures tests record (e.g. outage_to_page_seconds) in the JUnit report.
test-observability: setup-observability ## Rules (promtool), routing (amtool), dashboards, runbooks, logs; live alerting tests.
	$(PYTEST) tests/observability -o junit_family=xunit1 --junitxml=$(REPORTS)/observability.xml

observability-generate: setup-tool-python ## Regenerate the PrometheusRule template, dashboards and deployed configs.
	uv run --frozen --project $(CURDIR) python -m observability.generate
