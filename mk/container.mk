# The service images (one Dockerfile for all, services/Dockerfile): Dockerfile rules,
# hadolint, checkov, then a real podman build (from locally assembled base images, see
# scripts/setup/base-image.sh) run read-only, non-root, without capabilities, against a
# moto server on loopback.
SETUP_SCRIPTS += scripts/setup/podman.sh scripts/setup/base-image.sh
TEST_TARGETS += test-container
LINT_TARGETS += lint-container

# podman reads the configuration scripts/setup/podman.sh writes (runc, rlimits, an image
# store under .cache), never the machine's own.
CONTAINER_ENV := CONTAINERS_CONF=$(CURDIR)/.cache/containers/containers.conf \
	CONTAINERS_STORAGE_CONF=$(CURDIR)/.cache/containers/storage.conf

.PHONY: test-container lint-container container-image setup-container test-shipped-image
setup-container: setup-tool-python setup-tool-checkov setup-tool-podman setup-tool-base-image ## Install what test-container uses.

lint-container: setup-tool-python ## ruff (lint + format) and mypy --strict on the container tests.
	uv run --frozen ruff check tests/container && uv run --frozen ruff format --check tests/container
	uv run --frozen mypy --strict tests/container

test-container: setup-container ## Container image: lint, build with podman, run hardened against moto; prints the image size.
	@mkdir -p $(REPORTS)
	$(CONTAINER_ENV) $(PYTEST) tests/container --junitxml=$(REPORTS)/container.xml

# The image built from the real base elsewhere (CI's image job, the release), already in
# podman's store: the image and run tests pointed at it (tests/container/conftest.py).
SHIPPED_IMAGE_TESTS := tests/container/test_image.py tests/container/test_container_run.py
test-shipped-image: setup-tool-python ## Run the image and run tests against DEPOT_IMAGE (built from the real base).
	@test -n "$(DEPOT_IMAGE)" || { echo "set DEPOT_IMAGE=<image in podman's store>" >&2; exit 2; }
	@mkdir -p $(REPORTS)
	$(CONTAINER_ENV) DEPOT_IMAGE=$(DEPOT_IMAGE) $(PYTEST) $(SHIPPED_IMAGE_TESTS) --junitxml=$(REPORTS)/shipped-image.xml

# Any service's image from the one Dockerfile: `make container-image IMAGE_SERVICE=verifier`.
IMAGE_SERVICE ?= depot
container-image: setup-tool-python setup-tool-podman setup-tool-base-image ## Build localhost/<IMAGE_SERVICE>:dev (default depot) with podman from the local base images.
	@test -f services/$(IMAGE_SERVICE)/pyproject.toml || { echo "IMAGE_SERVICE=$(IMAGE_SERVICE): no services/$(IMAGE_SERVICE)/pyproject.toml" >&2; exit 2; }
	@set -a && source .cache/container/images.env && set +a && \
	$(CONTAINER_ENV) podman build --pull=never --network=host --format=docker \
	  --build-arg SERVICE=$(IMAGE_SERVICE) \
	  --build-arg BASE_IMAGE="$$BASE_IMAGE" --build-arg UV_IMAGE="$$UV_IMAGE" \
	  --build-arg VERSION="$$(sed -n 's/^version = "\(.*\)"/\1/p' services/$(IMAGE_SERVICE)/pyproject.toml)" \
	  --build-arg REVISION="$$(git rev-parse HEAD)" \
	  $$( [ -f /etc/ssl/certs/ca-certificates.crt ] && echo --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt ) \
	  -f services/Dockerfile --ignorefile services/Dockerfile.dockerignore \
	  -t localhost/$(IMAGE_SERVICE):dev .
