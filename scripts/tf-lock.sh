#!/usr/bin/env bash
# Write .terraform.lock.hcl for every Terraform root under infra/live (a folder with a
# versions.tf), so `terraform init -lockfile=readonly` (terraform-root.yml) can run.
#
# Offline, the hashes come from the filesystem mirror of the AWS provider that
# scripts/setup/terraform.sh found (one platform: the mirror's, linux_amd64). A machine
# that reaches registry.terraform.io can add platforms to the same files:
#   TF_LOCK_PLATFORMS="linux_amd64 linux_arm64 darwin_arm64" TF_LOCK_FROM_REGISTRY=1 make tf-lock
# Re-run after adding a root or changing a provider constraint; tests/infra checks that
# every root has a lock file that satisfies its constraints.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI_CONFIG="$ROOT/.cache/terraform/cli.tfrc"
PLATFORMS="${TF_LOCK_PLATFORMS:-linux_amd64}"
[ -f "$CLI_CONFIG" ] || { echo "tf-lock: $CLI_CONFIG missing; run scripts/setup/terraform.sh" >&2; exit 1; }
mirror="$(sed -nE 's/^ *path += "(.+)"$/\1/p' "$CLI_CONFIG" | head -n 1)"
if [ -z "$mirror" ] && [ -z "${TF_LOCK_FROM_REGISTRY:-}" ]; then
  echo "tf-lock: no provider mirror in $CLI_CONFIG; set TF_PROVIDER_MIRROR and re-run" >&2
  echo "tf-lock: scripts/setup/terraform.sh, or TF_LOCK_FROM_REGISTRY=1 to hash from the registry" >&2
  exit 1
fi
platform_args=()
for p in $PLATFORMS; do platform_args+=("-platform=$p"); done
source_args=()
[ -n "${TF_LOCK_FROM_REGISTRY:-}" ] || source_args=("-fs-mirror=$mirror")

export TF_CLI_CONFIG_FILE="$CLI_CONFIG" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
mapfile -t roots < <(find "$ROOT/infra/live" -name versions.tf -not -path '*/.terraform/*' \
  -printf '%h\n' | sort)
for dir in "${roots[@]}"; do
  echo "tf-lock: ${dir#"$ROOT"/}" >&2
  # Modules must be installed before their providers can be read; no backend needed.
  (cd "$dir" && terraform init -backend=false -input=false -no-color >/dev/null &&
    terraform providers lock "${source_args[@]}" "${platform_args[@]}" -no-color >/dev/null)
done
