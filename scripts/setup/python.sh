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

# python_for VERSION: an interpreter of that minor version, printed as a path. A service
# names its version in its .python-version (depot: the one its image base ships, ADR
# 0052), which need not be the machine's python3. In order: one uv finds without
# downloading; one pyenv installed (uv trips over pyenv's shims for versions pyenv has
# not selected, so the binary is named directly); else uv installs a managed one, which
# works wherever GitHub's release downloads are reachable (CI runners, laptops).
python_for() {
  local want="$1" found
  if found="$(uv python find --no-python-downloads "$want" 2>/dev/null)"; then echo "$found"; return; fi
  for found in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want"; do
    [ -x "$found" ] && { echo "$found"; return; }
  done
  log "installing a uv-managed Python $want"
  uv python install "$want" >&2
  uv python find "$want"
}

for dir in "$ROOT" "$ROOT"/services/*/; do
  [ -f "$dir/pyproject.toml" ] || continue
  python_args=()
  if [ -f "$dir/.python-version" ]; then
    python_args=(--python "$(python_for "$(tr -d '[:space:]' <"$dir/.python-version")")")
  fi
  (cd "$dir" && uv sync --frozen --all-groups -q "${python_args[@]}")
done
