# Delivery: Argo CD objects and the ApplicationSet expansion, the desired state of every
# service x environment rendered and validated, the GitHub workflows (actionlint,
# zizmor --offline, checkov github_actions) and the promotion tool.
SETUP_SCRIPTS += scripts/setup/shellcheck.sh
TEST_TARGETS += test-delivery

.PHONY: test-delivery setup-delivery
# Terraform: the lock-file checks init every root read-only through the CLI configuration.
setup-delivery: setup-tool-python setup-tool-helm setup-tool-node-validators setup-tool-checkov setup-tool-shellcheck setup-tool-terraform ## Install what test-delivery uses.

test-delivery: setup-delivery ## Argo CD objects, GitOps renders, workflow lint/security, promotion tool.
	$(PYTEST) tests/delivery -n 2 --junitxml=$(REPORTS)/delivery.xml

# The kind job runs on GitHub's runner, next to the Docker its cluster runs on: it installs
# only what it uses (helm), never the podman/runc of the full setup (containerd.io, which
# the runner's Docker comes as, conflicts with Debian's runc).
KIND_SETUP_SCRIPTS := scripts/setup/helm.sh

.PHONY: ci-targets kind-check setup-kind
setup-kind: ## Install only what the CI kind job uses (helm); never podman or runc.
	@for s in $(KIND_SETUP_SCRIPTS); do bash "$$s"; done

ci-targets: ## The lint and test targets as a JSON list (the CI matrix reads it).
	@python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' $(LINT_TARGETS) $(TEST_TARGETS) $(CI_ONLY_TARGETS)

kind-check: ## Chart + admission policies against a real API server (needs a kind cluster; CI).
	bash .github/scripts/kind-check.sh

.PHONY: tf-lock
tf-lock: ## Write .terraform.lock.hcl for every root under infra/live (offline: mirror hashes).
	bash scripts/setup/terraform.sh
	bash scripts/tf-lock.sh

.PHONY: configure configure-check
configure: setup-tool-python ## Write platform-settings.yaml (GitHub owner/repo, teams, AWS accounts, region, domain) everywhere.
	uv run --frozen python scripts/configure.py

configure-check: setup-tool-python ## Fail while platform-settings.yaml still holds a shipped placeholder.
	uv run --frozen python scripts/configure.py --check
