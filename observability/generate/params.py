"""Per-service parameters of the rule sources, validated like the chart's values."""

from __future__ import annotations

from dataclasses import dataclass

# The service's histogram buckets that may serve as latency SLO thresholds. They are
# written as Prometheus renders them in the `le` label, so a rule selects them exactly.
LATENCY_BUCKETS = ("0.1", "0.25", "0.3", "0.5")
# Routes users never call: probes and the scrape itself stay out of every SLI.
NON_SLI_ROUTES = "/livez|/readyz|/metrics"
# Bulk-transfer routes (content upload and download, up to 100 MiB): their duration is
# the client's bandwidth, not the service's speed, so they stay out of the latency SLI
# (they still count for availability). Platform convention: such routes end in /content.
# ADR 0044.
CONTENT_ROUTES = ".+/content"
# Minimum-traffic guard of the fast-burn pages: at least this many bad events in the
# long window, so one failed request of a quiet hour (1 of 60 = 1.7% > 1.44%) cannot
# page. ADR 0044.
MIN_BAD_EVENTS = "10"
# The traffic-drop page arms only for a service that served at least this many
# requests per second (5-minute rate) at some point in the last 6 hours. ADR 0044.
MIN_TRAFFIC_RPS = "1"
DEFAULT_RUNBOOK_BASE_URL = "https://github.com/example-org/depot-platform/blob/main/docs/runbooks"
# Parameters a rule source may name directly; derive() builds the others from them.
BASE_FIELDS = (
    "namespace",
    "service",
    "workload",
    "team",
    "availability",
    "latency_le",
    "latency_target",
    "runbook_base_url",
)


class ParamsError(ValueError):
    """A parameter is out of range; the message names the field and the fix."""


@dataclass(frozen=True)
class ServiceParams:
    """What the chart passes in from `monitoring.*` values and the release."""

    namespace: str = "depot"
    service: str = "depot"
    workload: str = "depot"
    team: str = "depot"
    availability: str = "99.9"
    latency_le: str = "0.3"
    latency_target: str = "99"
    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL

    def __post_init__(self) -> None:
        _percent("monitoring.slo.availability", self.availability)
        _percent("monitoring.slo.latencyTarget", self.latency_target)
        if self.latency_le not in LATENCY_BUCKETS:
            raise ParamsError(
                f"monitoring.slo.latencySeconds={self.latency_le!r} is not a histogram bucket "
                f"of the service; use one of {', '.join(LATENCY_BUCKETS)}"
            )
        if not self.runbook_base_url.startswith("https://"):
            raise ParamsError(
                f"monitoring.runbookBaseUrl={self.runbook_base_url!r} must be an https:// URL "
                "of the folder holding the runbooks"
            )

    def placeholders(self) -> dict[str, str]:
        base = {name: str(getattr(self, name)) for name in BASE_FIELDS}
        base["runbook_base_url"] = base["runbook_base_url"].rstrip("/")
        return derive(base)


def derive(base: dict[str, str]) -> dict[str, str]:
    """Add the composite placeholders. Shared by plain and Helm rendering, so the two
    forms cannot disagree on a selector."""
    selector = f'namespace="{base["namespace"]}",service="{base["service"]}"'
    return {
        **base,
        "selector": selector,
        "sli": f'{selector},route!~"{NON_SLI_ROUTES}"',
        "latency_sli": f'{selector},route!~"{NON_SLI_ROUTES}",route!~"{CONTENT_ROUTES}"',
        "min_bad_events": MIN_BAD_EVENTS,
        "min_traffic_rps": MIN_TRAFFIC_RPS,
        "namespace_selector": f'namespace="{base["namespace"]}"',
        "pod_regex": f"{base['workload']}-[a-z0-9]+-[a-z0-9]+",
        # KEDA names the HPA it manages keda-hpa-<ScaledObject name>.
        "hpa_regex": f"(keda-hpa-)?{base['workload']}",
    }


def _percent(field: str, value: str) -> None:
    try:
        number = float(value)
    except ValueError:
        raise ParamsError(f"{field}={value!r} must be a number of percent, e.g. 99.9") from None
    if not 0 < number < 100:
        raise ParamsError(f"{field}={value!r} must be above 0 and below 100 (percent)")
