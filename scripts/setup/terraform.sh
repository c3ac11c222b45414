#!/usr/bin/env bash
# Terraform for the infra checks, and an offline CLI configuration that installs the AWS
# provider from a local filesystem mirror.
#
# No PyPI or npm package ships a pinned Terraform 1.x binary (the ones that exist download
# it from the internet at run time, which fails offline), so this script uses the
# Terraform on PATH and fails loudly when it is absent or too old. The provider mirror is
# discovered at run time (TF_PROVIDER_MIRROR, then the usual roots) so no machine path is
# committed; the generated CLI config lives in .cache/terraform/cli.tfrc.
#
# Every init that uses that CLI config (tests/infra, make tf-lock, CI) shares one provider
# cache, .cache/terraform/plugin-cache: the 675 MB AWS provider is unpacked (or linked
# from the mirror) once, not once per root and module.
source "$(dirname "$0")/lib.sh"
# The version CI installs (hashicorp/setup-terraform in .github/workflows) and the lock
# files were made with; Renovate updates all of them together.
# renovate: datasource=github-releases depName=hashicorp/terraform extractVersion=^v(?<version>.+)$
TERRAFORM_VERSION=1.11.4
TERRAFORM_MIN_MINOR=11          # use_lockfile (S3-native state locking) is GA from 1.11
# renovate: datasource=terraform-provider depName=hashicorp/aws
AWS_PROVIDER_VERSION=5.100.0

tf="$(command -v terraform || true)"
if [ -z "$tf" ]; then
  log "terraform not found on PATH: install Terraform 1.${TERRAFORM_MIN_MINOR}+ (for example the"
  log "HashiCorp apt repository or a release zip) and re-run; see docs/infra.md"
  exit 1
fi
version="$(TF_CLI_CONFIG_FILE=/dev/null "$tf" version -json | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')"
major="${version%%.*}"; rest="${version#*.}"; minor="${rest%%.*}"
if [ "$major" != 1 ] || [ "$minor" -lt "$TERRAFORM_MIN_MINOR" ]; then
  log "terraform $version found at $tf; Terraform 1.${TERRAFORM_MIN_MINOR}+ (1.x) is required"
  exit 1
fi

find_mirror() {
  local candidates=("${TF_PROVIDER_MIRROR:-}" /opt/tf-plugins /usr/share/terraform/plugins
    /usr/local/share/terraform/plugins "$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins")
  local dir
  for dir in "${candidates[@]}"; do
    [ -n "$dir" ] || continue
    if [ -d "$dir/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION" ]; then
      echo "$dir"; return 0
    fi
  done
  # Last resort: a bounded search of the usual install roots.
  dir="$(find /opt /usr/local /usr/share "$HOME" -maxdepth 6 -type d \
    -path "*registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION" 2>/dev/null | head -n 1)"
  [ -n "$dir" ] && echo "${dir%/registry.terraform.io/*}"
}

plugin_cache="$CACHE/terraform/plugin-cache"
mkdir -p "$CACHE/terraform" "$plugin_cache"
cli_config="$CACHE/terraform/cli.tfrc"
# The test modules have no lock file of their own; without the second setting Terraform
# would skip the cache for them and unpack the provider again in each.
cache_settings="plugin_cache_dir = \"$plugin_cache\"
plugin_cache_may_break_dependency_lock_file = true"
mirror="$(find_mirror || true)"
if [ -n "$mirror" ]; then
  # Offline: the provider comes only from the mirror; nothing is fetched from a registry.
  cat >"$cli_config" <<HCL
$cache_settings
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
HCL
else
  # No mirror: let Terraform use the registry (works only where the registry is reachable).
  log "no filesystem mirror of hashicorp/aws $AWS_PROVIDER_VERSION found (set TF_PROVIDER_MIRROR);"
  log "terraform init will try the public registry"
  printf '# No local provider mirror found; terraform uses the public registry.\n%s\n' \
    "$cache_settings" >"$cli_config"
fi
log "terraform $version at $tf; CLI config $cli_config${mirror:+ (mirror $mirror)}"
