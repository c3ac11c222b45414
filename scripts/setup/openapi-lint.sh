#!/usr/bin/env bash
# Spectral and the OWASP API Security ruleset, locked in services/depot/openapi-lint:
# `make test-depot` lints the served OpenAPI document with them (zero errors).
# `npm ci` installs exactly the lock file; skipped when the installed tree matches it.
source "$(dirname "$0")/lib.sh"
DIR="$ROOT/services/depot/openapi-lint"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
stamp="$DIR/node_modules/.package-lock.json"
if [ -f "$stamp" ] && cmp -s <(sha256sum < "$DIR/package-lock.json") "$DIR/node_modules/.lock-sha256"; then
  exit 0
fi
log "npm ci in services/depot/openapi-lint"
(cd "$DIR" && npm ci --no-audit --no-fund --silent)
sha256sum < "$DIR/package-lock.json" > "$DIR/node_modules/.lock-sha256"
