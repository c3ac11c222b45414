"""`make up`: the platform on one machine, on loopback.

The AWS emulator, depot behind the fault-injecting proxy, a real Prometheus with the
chart's rules (rendered from the one rule source), a real Alertmanager with the
platform's routing, a webhook receiver that prints what would page, a bounded traffic
generator and a fault switch. Ctrl-C stops all of it. Decision: ADR 0081.

The processes and configs are the ones the live alerting and reliability tests start
(tests/observability, tests/reliability): what a newcomer runs is what the suite proves.
"""
