# Documentation checks: the README's traceability table cites tests that exist.
TEST_TARGETS += test-docs

.PHONY: test-docs
test-docs: ## The README's cited tests and relative links exist.
	$(PYTEST) tests/docs --junitxml=$(REPORTS)/docs.xml
