# Delivery: Argo CD objects and the ApplicationSet expansion, the desired state of every
# service x environment rendered and validated, the GitHub workflows (actionlint,
# zizmor --offline, checkov github_actions) and the promotion tool.
TEST_TARGETS += test-delivery

.PHONY: test-delivery
test-delivery: ## Argo CD objects, GitOps renders, workflow lint/security, promotion tool.
	$(PYTEST) tests/delivery -n 2 --junitxml=$(REPORTS)/delivery.xml
