#!/usr/bin/env bash
# Debian's Chromium, for the `make up` test that opens Prometheus' alerts page headless
# and saves a screenshot (tests/up/test_browser.py). Nothing else uses it.
source "$(dirname "$0")/lib.sh"
apt_install chromium
