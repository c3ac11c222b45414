#!/usr/bin/env bash
# Python toolchain: a pinned uv, then the locked environments (the service's and the
# platform tests').
source "$(dirname "$0")/lib.sh"
# renovate: datasource=pypi depName=uv
UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  # Into a virtual environment of its own, linked from .cache/bin (first on make's PATH):
  # Debian's python3 has no pip and refuses system-wide installs (PEP 668), so a plain
  # `pip install` works only on machines whose python3 is not Debian's.
  log "installing uv $UV_VERSION into $CACHE/uv-venv"
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  python3 -m venv --clear "$CACHE/uv-venv" >&2
  "$CACHE/uv-venv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" >&2
  mkdir -p "$CACHE/bin"
  ln -sf "$CACHE/uv-venv/bin/uv" "$CACHE/bin/uv"
  export PATH="$CACHE/bin:$PATH"
fi
for dir in "$ROOT" "$ROOT"/services/*/; do
  [ -f "$dir/pyproject.toml" ] || continue
  (cd "$dir" && uv sync --frozen --all-groups -q)
done
