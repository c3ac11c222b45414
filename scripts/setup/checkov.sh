#!/usr/bin/env bash
# checkov in its own pinned tool environment: its dependency tree is large and would
# otherwise constrain the platform's lock. Offline use: --skip-download and
# CKV_SKIP_PACKAGE_UPDATE_CHECK=true (see tests).
source "$(dirname "$0")/lib.sh"
# renovate: datasource=pypi depName=checkov
CHECKOV_VERSION=3.3.30
export UV_TOOL_DIR="$CACHE/uv-tools" UV_TOOL_BIN_DIR="$CACHE/bin"
if ! "$CACHE/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  log "installing checkov $CHECKOV_VERSION"
  uv tool install -q --force --python 3.11 "checkov==$CHECKOV_VERSION" >&2
fi
