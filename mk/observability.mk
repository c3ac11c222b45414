# Observability: rule sources rendered into the chart's PrometheusRule, promtool and
# amtool tests, dashboards, the log pipeline's field contract, and the live test (two
# depot instances, real Prometheus and Alertmanager, a fast-burn alert reaching a webhook).
SETUP_SCRIPTS += scripts/setup/prometheus.sh
TEST_TARGETS += test-observability
LINT_TARGETS += lint-observability

.PHONY: lint-observability test-observability observability-generate
lint-observability: ## ruff (lint + format check) on the generators and the observability tests; promtool/amtool config checks run in the tests.
	uv run --frozen ruff check observability tests/observability
	uv run --frozen ruff format --check observability tests/observability

# xunit1: keeps the figures tests record (e.g. outage_to_page_seconds) in the JUnit report.
test-observability: ## Rules (promtool), routing (amtool), dashboards, logs; live alerting test.
	$(PYTEST) tests/observability -o junit_family=xunit1 --junitxml=$(REPORTS)/observability.xml

observability-generate: ## Regenerate the PrometheusRule template, dashboards and deployed configs.
	uv run --frozen --project $(CURDIR) python -m observability.generate
