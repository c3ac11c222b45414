#!/usr/bin/env bash
# Run what ships: the image built from the real base (a `docker save` archive), loaded
# into podman and run by the same tests that run the local build (tests/container:
# test_image.py, test_container_run.py), hardened as the chart runs it: non-root,
# read-only root, no capabilities, no privilege escalation. Checks readiness, a document
# round trip against the AWS emulator, /metrics and the SIGTERM drain.
#
# Runs inside the machine the suite is proven on (Debian 12 as root, ADR 0035), started
# by CI's image job and the release job with `docker run --privileged` (podman inside
# mounts overlay and proc): .github/workflows/ci.yml, release.yml.
# Usage: run-shipped-image.sh ARCHIVE IMAGE_REF
set -euo pipefail
archive="${1:?usage: run-shipped-image.sh ARCHIVE IMAGE_REF}"
ref="${2:?usage: run-shipped-image.sh ARCHIVE IMAGE_REF}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates git make >/dev/null
# The workspace is bind-mounted from the runner, owned by its user, not by root.
git config --global --add safe.directory "$PWD"
# Only what these tests need: uv and the locked environments (the test runner, the
# service's CLI that provisions the emulator), and podman with the project's config.
bash scripts/setup/python.sh
bash scripts/setup/podman.sh
export CONTAINERS_CONF="$PWD/.cache/containers/containers.conf"
export CONTAINERS_STORAGE_CONF="$PWD/.cache/containers/storage.conf"
podman load --quiet --input "$archive"
podman image exists "$ref"
export PATH="$PWD/.cache/bin:$PATH"
make test-shipped-image DEPOT_IMAGE="$ref"
