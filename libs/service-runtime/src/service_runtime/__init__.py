"""What every Python service of the platform runs on (docs/adr/0090-shared-service-runtime.md).

Each module is one concern: `config` (settings every service reads, configuration errors
naming the variable), `logs`, `problems` (RFC 9457), `tracing`, `metrics` (the contract
the SLO rules read), `health` (lifecycle, dependency probes, /livez /readyz /metrics),
`middleware`, `deadline`, `server` (the SIGTERM drain) and `aws` (clients with timeouts,
retries, breaker and limiters).
"""
