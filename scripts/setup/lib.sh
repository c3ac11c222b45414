# Shared helpers for the setup scripts; sourced, not executed.
# Everything the project uses is installed by these scripts, so a fresh machine of this
# kind (Debian 12, root, PyPI/apt/npm reachable) needs nothing by hand.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${DEPOT_CACHE_DIR:-$ROOT/.cache}"
mkdir -p "$CACHE"
log() { printf '[setup] %s\n' "$*" >&2; }

# apt_install PKG...: installs Debian packages that are missing (one apt-get update per run).
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ ! -f "$CACHE/.apt-updated" ]; then $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 && touch "$CACHE/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# npm_ci_locked DIR: Node.js, then exactly DIR/package-lock.json installed with `npm ci`;
# skipped when the installed tree was made from the same lock file.
npm_ci_locked() {
  local dir="$1"
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  if [ -f "$dir/node_modules/.package-lock.json" ] &&
    cmp -s <(sha256sum < "$dir/package-lock.json") "$dir/node_modules/.lock-sha256"; then
    return 0
  fi
  log "npm ci in ${dir#"$ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --silent)
  sha256sum < "$dir/package-lock.json" > "$dir/node_modules/.lock-sha256"
}
