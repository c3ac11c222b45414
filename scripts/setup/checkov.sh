#!/usr/bin/env bash
# checkov in its own pinned tool environment: its dependency tree is large and would
# otherwise constrain the platform's lock. Offline use: --skip-download and
# CKV_SKIP_PACKAGE_UPDATE_CHECK=true (see tests).
source "$(dirname "$0")/lib.sh"
# renovate: datasource=pypi depName=checkov
CHECKOV_VERSION=3.3.30
export UV_TOOL_DIR="$CACHE/uv-tools" UV_TOOL_BIN_DIR="$CACHE/bin"
# uv's record of the tool, not `checkov --version` (which imports checkov: about 9 s, paid
# by every area's setup that uses checkov).
if [ ! -x "$CACHE/bin/checkov" ] || ! uv tool list 2>/dev/null | grep -qx "checkov v$CHECKOV_VERSION"; then
  log "installing checkov $CHECKOV_VERSION"
  uv tool install -q --force --python 3.11 "checkov==$CHECKOV_VERSION" >&2
fi
