# The service template (templates/service, docs/adr/0098-service-template.md): generate a
# service, update one, and prove the template in a throw-away copy of the repository.
TEST_TARGETS += test-template
LINT_TARGETS += lint-template

.PHONY: new-service update-service test-template setup-template lint-template
# Setup by need (ADR 0080): uv and the locked environments (copier is in the platform's),
# Helm for the renders, Terraform for the apply on moto, podman and the local base images
# for the generated service's image.
setup-template: setup-tool-python setup-tool-helm setup-tool-terraform setup-tool-podman setup-tool-base-image ## Install what test-template uses.

new-service: setup-tool-python ## Generate services/NAME and its deployment from the template; add NAME to every list of services.
	@test -n "$(NAME)" || { echo "set NAME=<service name>, e.g. make new-service NAME=ledger" >&2; exit 2; }
	uv run --frozen --project $(CURDIR) python -m tools.service_template new "$(NAME)" $(if $(TEAM),--team "$(TEAM)")

update-service: setup-tool-python ## Bring services/NAME to the template's latest version (copier update; commit first).
	@test -n "$(NAME)" || { echo "set NAME=<service name>" >&2; exit 2; }
	uv run --frozen --project $(CURDIR) python -m tools.service_template update "$(NAME)"

test-template: setup-template ## Generate a service in a copy of the repository: its tests, lint, renders, Applications, Terraform on moto, image conformance, copier update.
	$(CONTAINER_ENV) $(PYTEST) tests/template -p no:cacheprovider --junitxml=$(REPORTS)/template.xml

lint-template: setup-tool-python ## ruff (lint + format) and mypy --strict on the generator and its tests.
	uv run --frozen ruff check tools/service_template.py tests/template
	uv run --frozen ruff format --check tools/service_template.py tests/template
	uv run --frozen mypy --strict --ignore-missing-imports --follow-imports=silent tools/service_template.py tests/template
