#!/usr/bin/env bash
# Spectral and the OWASP API Security ruleset, locked in services/depot/openapi-lint:
# `make test-depot` lints the served OpenAPI document with them (zero errors).
source "$(dirname "$0")/lib.sh"
npm_ci_locked "$ROOT/services/depot/openapi-lint"
