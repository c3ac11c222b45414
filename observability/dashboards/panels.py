"""Every dashboard panel's PromQL, in one place.

Template variables: $namespace and $service (from the `namespace`/`service` labels the
ServiceMonitor adds), $__rate_interval (Grafana's rate window). The tests substitute
them and run every query against a real Prometheus.
"""

from __future__ import annotations

from observability.dashboards.model import Dashboard, Panel, Query

SEL = 'namespace="$namespace",service="$service"'
# The runtime names the dependency metric after the service (ADR 0090): any service's.
DEPENDENCY_METRIC = '__name__=~".+_dependency_requests_total"'
# User traffic only: probes and scrapes are not what the service is for.
SLI = f'{SEL},route!~"/livez|/readyz|/metrics"'
# Server errors; panels add `or <all> * 0` so a route without a 5xx yet shows 0, not "No data".
SLI_5XX = f'{SLI},status=~"5.."'
# The service's pods, for Kubernetes metrics that carry no `service` label.
PODS = 'namespace="$namespace",pod=~"$service-[a-z0-9]+-[a-z0-9]+"'
CONTAINERS = f'{PODS},container!="",container!="POD"'
HPA = 'namespace="$namespace",horizontalpodautoscaler=~"(keda-hpa-)?$service"'
RATE = "[$__rate_interval]"
# The dependency outcomes that count as the backend failing (the same set as the
# ServiceDependencyErrors rule in observability/rules/service.yaml).
DEPENDENCY_FAILURES = (
    '"server_error|throttled|timeout|unreachable|credentials|access_denied|sdk_error"'
)


def _by_route(metric_filter: str) -> str:
    return f"sum by (route) (rate(http_requests_total{{{metric_filter}}}{RATE}))"


RED = Dashboard(
    uid="service-red",
    title="Service / RED",
    description="Rate, errors and duration of one service, by route.",
    panels=(
        Panel(
            "Requests per second by route",
            "Every answered request, probes excluded.",
            (Query(_by_route(SLI), "{{route}}"),),
            unit="reqps",
        ),
        Panel(
            "5xx ratio by route",
            "Share of answers that are server errors (a 503 from a dependency outage counts).",
            (
                # `or ... * 0`: a route without a 5xx yet shows 0, not "No data".
                Query(
                    f"({_by_route(SLI_5XX)} or {_by_route(SLI)} * 0) / {_by_route(SLI)}",
                    "{{route}}",
                ),
            ),
            unit="percentunit",
        ),
        Panel(
            "Responses by status",
            "Rate of answers per status code.",
            (
                Query(
                    f"sum by (status) (rate(http_requests_total{{{SLI}}}{RATE}))",
                    "{{status}}",
                ),
            ),
            unit="reqps",
        ),
        Panel(
            "p99 duration by route",
            "99th percentile of request duration, interpolated within histogram buckets.",
            (
                Query(
                    "histogram_quantile(0.99, sum by (route, le) "
                    f"(rate(http_request_duration_seconds_bucket{{{SLI}}}{RATE})))",
                    "{{route}}",
                ),
            ),
            unit="s",
        ),
        Panel(
            "Duration quantiles (service)",
            "p50, p90 and p99 of the whole service, from the recording rules.",
            (
                Query(f"service:http_request_duration_seconds:p50_rate5m{{{SEL}}}", "p50"),
                Query(f"service:http_request_duration_seconds:p90_rate5m{{{SEL}}}", "p90"),
                Query(f"service:http_request_duration_seconds:p99_rate5m{{{SEL}}}", "p99"),
            ),
            unit="s",
        ),
        Panel(
            "In-flight requests by instance",
            "Requests being served right now; a climb with flat throughput means waiting.",
            (Query(f"sum by (instance) (http_requests_in_flight{{{SEL}}})", "{{instance}}"),),
        ),
        Panel(
            "Instances up",
            "Scrape targets answering.",
            (Query(f"sum(up{{{SEL}}})", "up"),),
            kind="stat",
            thresholds=((1, "green"),),
        ),
        Panel(
            "Requests per second (service)",
            "From the recording rule the autoscaling dashboards and reports share.",
            (Query(f"service:http_requests:rate5m{{{SEL}}}", "rps"),),
            unit="reqps",
            kind="stat",
        ),
    ),
)

SLO = Dashboard(
    uid="service-slo",
    title="Service / SLO and error budget",
    description="Availability and latency SLOs: SLI, burn rate, 30-day budget left.",
    panels=(
        Panel(
            "Availability (5m)",
            "Share of non-5xx answers, against the objective.",
            (
                Query(f"1 - service:slo_availability_errors:ratio_rate5m{{{SEL}}}", "SLI"),
                Query(f"service:slo_availability:objective{{{SEL}}}", "objective"),
            ),
            unit="percentunit",
        ),
        Panel(
            "Availability burn rate",
            "1 = spending the budget exactly over 30 days; 14.4 over 1h pages.",
            tuple(
                Query(
                    f"service:slo_availability_errors:ratio_rate{w}{{{SEL}}}"
                    " / on (namespace, service) "
                    f"(1 - service:slo_availability:objective{{{SEL}}})",
                    w,
                )
                for w in ("5m", "1h", "6h", "1d")
            ),
        ),
        Panel(
            "Availability budget left (30d)",
            "1 = untouched, 0 = spent.",
            (Query(f"service:slo_availability_error_budget:remaining{{{SEL}}}", "left"),),
            unit="percentunit",
            kind="stat",
            thresholds=((0, "orange"), (0.25, "green")),
        ),
        Panel(
            "Latency SLI (5m)",
            "Share of requests under the threshold, against the objective.",
            (
                Query(f"1 - service:slo_latency_slow:ratio_rate5m{{{SEL}}}", "SLI"),
                Query(f"service:slo_latency:objective{{{SEL}}}", "objective"),
            ),
            unit="percentunit",
        ),
        Panel(
            "Latency burn rate",
            "1 = spending the latency budget exactly over 30 days.",
            tuple(
                Query(
                    f"service:slo_latency_slow:ratio_rate{w}{{{SEL}}}"
                    " / on (namespace, service) "
                    f"(1 - service:slo_latency:objective{{{SEL}}})",
                    w,
                )
                for w in ("5m", "1h", "6h", "1d")
            ),
        ),
        Panel(
            "Latency budget left (30d)",
            "1 = untouched, 0 = spent.",
            (Query(f"service:slo_latency_error_budget:remaining{{{SEL}}}", "left"),),
            unit="percentunit",
            kind="stat",
            thresholds=((0, "orange"), (0.25, "green")),
        ),
    ),
)

DEPENDENCIES = Dashboard(
    uid="service-dependencies",
    title="Service / dependencies",
    description="Calls to AWS (DynamoDB, S3, Secrets Manager): outcome, latency, health.",
    panels=(
        Panel(
            "Calls per second by backend and outcome",
            "ok, client_error (the caller's fault), throttled, server_error, timeout, unreachable.",
            (
                Query(
                    f"sum by (backend, outcome) (rate({{{DEPENDENCY_METRIC},{SEL}}}{RATE}))",
                    "{{backend}} {{outcome}}",
                ),
            ),
            unit="reqps",
        ),
        Panel(
            "Failure ratio by backend",
            "Server errors, throttles, timeouts, unreachable endpoints, refused credentials and"
            " denied access; the ticket opens at 5%.",
            (
                Query(
                    "sum by (backend) (rate("
                    f"{{{DEPENDENCY_METRIC},{SEL},outcome=~{DEPENDENCY_FAILURES}}}{RATE}))"
                    " / sum by (backend) "
                    f"(rate({{{DEPENDENCY_METRIC},{SEL}}}{RATE}))",
                    "{{backend}}",
                ),
            ),
            unit="percentunit",
        ),
        Panel(
            "p99 call duration by operation",
            "Retries included.",
            (
                Query(
                    "histogram_quantile(0.99, sum by (backend, operation, le) "
                    f"(rate(depot_dependency_request_duration_seconds_bucket{{{SEL}}}{RATE})))",
                    "{{backend}} {{operation}}",
                ),
            ),
            unit="s",
        ),
        Panel(
            "Backend up (worst instance)",
            "1 when the last call or probe succeeded, on every instance.",
            (Query(f"min by (backend) (depot_dependency_up{{{SEL}}})", "{{backend}}"),),
        ),
        Panel(
            "API keys loaded",
            "Keys in the cached key set, per instance.",
            (Query(f"min by (instance) (depot_keys_loaded{{{SEL}}})", "{{instance}}"),),
            kind="stat",
        ),
        Panel(
            "Key set age",
            "Seconds since the key secret was last read successfully (worst instance).",
            (
                Query(
                    f"time() - min(depot_keys_last_refresh_timestamp_seconds{{{SEL}}})",
                    "age",
                ),
            ),
            unit="s",
            kind="stat",
        ),
    ),
)

CAPACITY = Dashboard(
    uid="service-capacity",
    title="Service / capacity",
    description="CPU and memory against requests and limits; autoscaler replicas.",
    panels=(
        Panel(
            "CPU used vs requested and limit",
            "Per pod. Requests are what the scheduler reserves; limits throttle.",
            (
                Query(
                    f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}{RATE}))",
                    "used {{pod}}",
                ),
                Query(
                    f'sum by (pod) (kube_pod_container_resource_requests{{{PODS},resource="cpu"}})',
                    "requested {{pod}}",
                ),
                Query(
                    f'sum by (pod) (kube_pod_container_resource_limits{{{PODS},resource="cpu"}})',
                    "limit {{pod}}",
                ),
            ),
            unit="cores",
            source="kubernetes",
        ),
        Panel(
            "Memory working set vs requested and limit",
            "Per pod. Past the limit the kernel kills the container (OOMKilled).",
            (
                Query(
                    f"sum by (pod) (container_memory_working_set_bytes{{{CONTAINERS}}})",
                    "used {{pod}}",
                ),
                Query(
                    "sum by (pod) (kube_pod_container_resource_requests"
                    f'{{{PODS},resource="memory"}})',
                    "requested {{pod}}",
                ),
                Query(
                    "sum by (pod) (kube_pod_container_resource_limits"
                    f'{{{PODS},resource="memory"}})',
                    "limit {{pod}}",
                ),
            ),
            unit="bytes",
            source="kubernetes",
        ),
        Panel(
            "Autoscaler replicas",
            "Current, desired and the bounds; long at max raises a ticket.",
            tuple(
                Query(f"max(kube_horizontalpodautoscaler_{metric}{{{HPA}}})", legend)
                for metric, legend in (
                    ("status_current_replicas", "current"),
                    ("status_desired_replicas", "desired"),
                    ("spec_min_replicas", "min"),
                    ("spec_max_replicas", "max"),
                )
            ),
            source="kubernetes",
        ),
        Panel(
            "Process CPU by instance",
            "From the service's own process collector: works without cAdvisor too.",
            (
                Query(
                    f"sum by (instance) (rate(process_cpu_seconds_total{{{SEL}}}{RATE}))",
                    "{{instance}}",
                ),
            ),
            unit="cores",
        ),
        Panel(
            "Process resident memory by instance",
            "From the service's own process collector.",
            (Query(f"sum by (instance) (process_resident_memory_bytes{{{SEL}}})", "{{instance}}"),),
            unit="bytes",
        ),
        Panel(
            "Requests per second per instance",
            "What the autoscaler divides by its per-replica target.",
            (
                Query(
                    f"sum by (instance) (rate(http_requests_total{{{SEL}}}{RATE}))",
                    "{{instance}}",
                ),
            ),
            unit="reqps",
        ),
    ),
)

DASHBOARDS = (RED, SLO, DEPENDENCIES, CAPACITY)
