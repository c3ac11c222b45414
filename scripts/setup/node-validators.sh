#!/usr/bin/env bash
# Node.js and the locked @kubernetes-models packages that validate custom resources
# (tests/validators).
source "$(dirname "$0")/lib.sh"
npm_ci_locked "$ROOT/tests/validators"
