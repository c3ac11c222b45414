#!/usr/bin/env bash
# Node.js and the locked @kubernetes-models packages that validate custom resources
# (tests/validators). `npm ci` installs exactly the lock file; it is skipped when the
# installed tree already matches it.
source "$(dirname "$0")/lib.sh"
DIR="$ROOT/tests/validators"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
stamp="$DIR/node_modules/.package-lock.json"
if [ -f "$stamp" ] && cmp -s <(sha256sum < "$DIR/package-lock.json") "$DIR/node_modules/.lock-sha256"; then
  exit 0
fi
log "npm ci in tests/validators"
(cd "$DIR" && npm ci --no-audit --no-fund --silent)
sha256sum < "$DIR/package-lock.json" > "$DIR/node_modules/.lock-sha256"
