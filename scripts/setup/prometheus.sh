#!/usr/bin/env bash
# Prometheus and Alertmanager from Debian: promtool (rule checks and unit tests), amtool
# (config checks and route tests) and both servers for the live alerting test. The
# Debian packages ship systemd units; nothing here enables them: tests start their own
# servers on loopback.
source "$(dirname "$0")/lib.sh"
apt_install prometheus prometheus-alertmanager
# Debian starts the daemons on install when a service manager runs; the tests need the
# binaries only, so stop any unit that came up (ignored where there is no systemd).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus prometheus-alertmanager >/dev/null 2>&1 || true
fi
