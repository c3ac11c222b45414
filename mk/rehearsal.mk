# Fresh-machine rehearsal (scripts/rehearsal.sh): a clean Debian 12 root filesystem, a
# clean clone, the first `make run` to ready (installing nothing it does not use), the
# README's whole set-up and one check per tool family.
# Root only (mmdebstrap, chroot); CI's legs run as root in Debian 12 (ADR 0035, 0039).
TEST_TARGETS += test-rehearsal

.PHONY: test-rehearsal setup-rehearsal
# mmdebstrap comes with the container tools; the Terraform CLI configuration names the
# provider mirror the rehearsal brings into the clean machine.
setup-rehearsal: setup-tool-python setup-tool-podman setup-tool-terraform ## Install what test-rehearsal uses.

test-rehearsal: setup-rehearsal ## Fresh Debian 12 + clean clone: make run to ready (nothing heavy installed), make setup, chart/infra/observability checks.
	$(PYTEST) tests/rehearsal --junitxml=$(REPORTS)/rehearsal.xml

# What does not fit in make test's share: the container image tests and whole areas,
# inside the same clean machine. CI runs it as a leg of its own (ci-targets).
CI_ONLY_TARGETS += test-rehearsal-full

.PHONY: test-rehearsal-full
test-rehearsal-full: setup-rehearsal ## The rehearsal plus whole areas inside it (container, chart, observability); CI runs it.
	REHEARSAL_MAKE_TARGETS="test-container test-chart test-observability" bash scripts/rehearsal.sh
