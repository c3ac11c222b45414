#!/usr/bin/env bash
# Python toolchain: a pinned uv, then locked environments.
#
# Usage: python.sh [PROJECT_DIR...]   (relative to the repository root; default: the
#        platform tests' project, every shared library and every service). `make run`
#        asks for the service's only (ADR 0080); `make setup` and the platform areas
#        for all of them.
source "$(dirname "$0")/lib.sh"
# renovate: datasource=pypi depName=uv
UV_VERSION=0.13.9
UV="$CACHE/bin/uv"
# The pinned uv always lives in .cache/bin, the first folder of make's PATH, whatever uv
# the user's own PATH holds: make then runs the pinned one, never a different uv that the
# user's PATH finds first (ADR 0080).
if [ "$("$UV" --version 2>/dev/null | awk '{print $2}')" != "$UV_VERSION" ]; then
  # Into a virtual environment of its own, linked from .cache/bin:
  # Debian's python3 has no pip and refuses system-wide installs (PEP 668), so a plain
  # `pip install` works only on machines whose python3 is not Debian's.
  log "installing uv $UV_VERSION into $CACHE/uv-venv"
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  python3 -m venv --clear "$CACHE/uv-venv" >&2
  "$CACHE/uv-venv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" >&2
  mkdir -p "$CACHE/bin"
  ln -sf "$CACHE/uv-venv/bin/uv" "$UV"
fi
# The scripts that run after this one (checkov, the container base image) find it too.
export PATH="$CACHE/bin:$PATH"

# python_for VERSION: an interpreter of that minor version, printed as a path. A service
# names its version in its .python-version (depot: the one its image base ships, ADR
# 0052), which need not be the machine's python3. In order: one uv finds without
# downloading; one pyenv installed (uv trips over pyenv's shims for versions pyenv has
# not selected, so the binary is named directly); else uv installs a managed one, which
# works wherever GitHub's release downloads are reachable (CI runners, laptops).
python_for() {
  local want="$1" found
  if found="$("$UV" python find --no-python-downloads "$want" 2>/dev/null)"; then echo "$found"; return; fi
  for found in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want"; do
    [ -x "$found" ] && { echo "$found"; return; }
  done
  log "installing a uv-managed Python $want"
  "$UV" python install "$want" >&2
  "$UV" python find "$want"
}

if [ $# -gt 0 ]; then
  projects=()
  for dir in "$@"; do
    [ -f "$ROOT/$dir/pyproject.toml" ] || { log "no pyproject.toml in $dir"; exit 1; }
    projects+=("$ROOT/$dir")
  done
else
  projects=("$ROOT")
  for dir in "$ROOT"/libs/*/ "$ROOT"/services/*/; do
    [ -f "$dir/pyproject.toml" ] && projects+=("$dir")
  done
fi
for dir in "${projects[@]}"; do
  python_args=()
  if [ -f "$dir/.python-version" ]; then
    python_args=(--python "$(python_for "$(tr -d '[:space:]' <"$dir/.python-version")")")
  fi
  (cd "$dir" && "$UV" sync --frozen --all-groups -q "${python_args[@]}")
done
