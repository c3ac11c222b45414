#!/usr/bin/env bash
# Python toolchain: a pinned uv, then the locked environments (the service's and the
# platform tests').
source "$(dirname "$0")/lib.sh"
# renovate: datasource=pypi depName=uv
UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  log "installing uv $UV_VERSION"
  python3 -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" >&2
fi
for dir in "$ROOT" "$ROOT"/services/*/; do
  [ -f "$dir/pyproject.toml" ] || continue
  (cd "$dir" && uv sync --frozen --all-groups -q)
done
