# The generic service chart, its per-environment renders, namespaces and admission
# policies: helm lint, Kubernetes and custom-resource schema validation, rendered-output
# assertions, CEL policy evaluation and checkov.
SETUP_SCRIPTS += scripts/setup/helm.sh scripts/setup/node-validators.sh
TEST_TARGETS += test-chart

.PHONY: test-chart setup-chart
setup-chart: setup-tool-python setup-tool-helm setup-tool-node-validators setup-tool-checkov ## Install what test-chart uses.

test-chart: setup-chart ## Chart lint/render/schema/promise tests, admission policies (CEL), checkov.
	$(PYTEST) tests/chart tests/policies -n 2 --junitxml=$(REPORTS)/chart.xml

LINT_TARGETS += lint-chart
.PHONY: lint-chart
lint-chart: setup-tool-python setup-tool-node-validators ## ruff and mypy on the chart/policy tests; syntax check of the Node validators.
	uv run --frozen ruff check tests/chart tests/policies
	uv run --frozen ruff format --check tests/chart tests/policies
	uv run --frozen mypy --ignore-missing-imports --explicit-package-bases tests/chart tests/policies
	node --check tests/validators/validate.mjs && node --check tests/validators/models.mjs
