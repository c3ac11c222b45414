#!/usr/bin/env bash
# Prometheus, Alertmanager and the blackbox exporter from Debian: promtool (rule checks and unit tests), amtool
# (config checks and route tests) and the servers for the live alerting tests (the blackbox exporter probes a loopback
# endpoint as the cluster's exporter probes the public ones). The
# Debian packages ship systemd units; nothing here enables them: tests start their own
# servers on loopback.
source "$(dirname "$0")/lib.sh"
apt_install prometheus prometheus-alertmanager prometheus-blackbox-exporter
# Debian starts the daemons on install when a service manager runs; the tests need the
# binaries only, so stop any unit that came up (ignored where there is no systemd).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus prometheus-alertmanager prometheus-blackbox-exporter >/dev/null 2>&1 || true
fi
