# The conformance suite (docs/conformance.md, ADR 0096): any service image held to the
# platform's contract, run with podman as the chart runs it (hardening, probes, drain
# timings from a helm render; metrics from the SLO rules; log fields from the pipeline)
# against a moto server holding the AWS resources its contract file names.
TEST_TARGETS += test-conformance
LINT_TARGETS += lint-conformance
CONTRACT ?= services/depot/conformance.yaml

.PHONY: conformance test-conformance lint-conformance setup-conformance
setup-conformance: setup-tool-python setup-tool-helm setup-tool-podman setup-tool-base-image ## Install what conformance and test-conformance use.

# No base images: the image under test is built elsewhere (CI's image job runs this).
conformance: setup-tool-python setup-tool-helm setup-tool-podman ## Hold IMAGE (in podman's store) to the service contract; CONTRACT=<file> (default depot's).
	@test -n "$(IMAGE)" || { echo "set IMAGE=<image in podman's store> [CONTRACT=<conformance.yaml>]" >&2; exit 2; }
	$(CONTAINER_ENV) uv run --frozen --project $(CURDIR) python -m tools.conformance --image "$(IMAGE)" --contract "$(CONTRACT)"

test-conformance: setup-conformance ## depot's image conforms; toy images with one flaw each fail that check with its message.
	@mkdir -p $(REPORTS)
	$(CONTAINER_ENV) $(PYTEST) tests/conformance --junitxml=$(REPORTS)/conformance.xml

lint-conformance: setup-tool-python ## ruff (lint + format) and mypy --strict on the suite and its tests (imported areas are linted by their own targets).
	uv run --frozen ruff check tools/conformance tests/conformance
	uv run --frozen ruff format --check tools/conformance tests/conformance
	uv run --frozen mypy --strict --ignore-missing-imports --follow-imports=silent tools/conformance tests/conformance
