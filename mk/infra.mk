# Terraform for AWS: fmt and validate of every module and root, then the roots applied
# for real on AWS API emulators (moto), inspected through boto3, planned again (no
# drift), destroyed (nothing left); least-privilege checks of every role; checkov.
SETUP_SCRIPTS += scripts/setup/terraform.sh
TEST_TARGETS += test-infra

.PHONY: test-infra infra-docs setup-infra
setup-infra: setup-tool-python setup-tool-terraform setup-tool-checkov ## Install what test-infra uses.

test-infra: setup-infra ## Terraform fmt/validate, apply/plan/destroy on moto, IAM least privilege, checkov.
	$(PYTEST) tests/infra -p no:cacheprovider --junitxml=$(REPORTS)/infra.xml

infra-docs: setup-tool-python ## Regenerate the inputs/outputs tables of infra/modules/*/README.md.
	uv run --frozen --project $(CURDIR) python -m tests.infra.module_docs --write
