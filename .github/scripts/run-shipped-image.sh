#!/usr/bin/env bash
# Run what ships: the image built from the real base (a `docker save` archive), loaded
# into podman and held to its service's contract (`make conformance`,
# services/<service>/conformance.yaml: hardened as the chart runs it, probes, metrics,
# logs, the SIGTERM drain); depot's image is run by the tests that run its local build
# too (tests/container: test_image.py, test_container_run.py): non-root, read-only root,
# no capabilities, no privilege escalation, readiness, a document round trip against the
# AWS emulator, /metrics and the SIGTERM drain.
#
# Runs inside the machine the suite is proven on (Debian 12 as root, ADR 0035), started
# by CI's image job and the release job with `docker run --privileged` (podman inside
# mounts overlay and proc): .github/workflows/ci.yml, release.yml.
# Usage: run-shipped-image.sh ARCHIVE IMAGE_REF SERVICE
set -euo pipefail
usage="usage: run-shipped-image.sh ARCHIVE IMAGE_REF SERVICE"
archive="${1:?$usage}"
ref="${2:?$usage}"
service="${3:?$usage}"
contract="services/$service/conformance.yaml"
if [ ! -f "$contract" ]; then
  echo "::error::$contract not found: every service's image is held to its contract" >&2
  exit 1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates git make >/dev/null
# The workspace is bind-mounted from the runner, owned by its user, not by root.
git config --global --add safe.directory "$PWD"
# Only what these tests need: uv and the locked environments (the test runner, the
# service's CLI that provisions the emulator), and podman with the project's config
# (`make conformance` installs helm: the suite renders the chart).
bash scripts/setup/python.sh
bash scripts/setup/podman.sh
export CONTAINERS_CONF="$PWD/.cache/containers/containers.conf"
export CONTAINERS_STORAGE_CONF="$PWD/.cache/containers/storage.conf"
podman load --quiet --input "$archive"
podman image exists "$ref"
export PATH="$PWD/.cache/bin:$PATH"
make conformance IMAGE="$ref" CONTRACT="$contract"
if [ "$service" = depot ]; then
  make test-shipped-image DEPOT_IMAGE="$ref"
fi
