#!/usr/bin/env bash
# Debian's Chromium, headless: the `make up` test opens Prometheus' alerts page and saves
# a screenshot (tests/up/), the site test opens the built docs (tests/docs/test_site.py).
source "$(dirname "$0")/lib.sh"
apt_install chromium
