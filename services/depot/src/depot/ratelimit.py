"""Per-tenant request rate limit: a token bucket per tenant in this process.

The fleet-wide budget is kept by dividing it across replicas (docs/adr/0008): each pod
enforces `DEPOT_TENANT_RATE_PER_SECOND` (the tenant's budget / replicas), so one noisy
tenant cannot take a pod's capacity from the others. Answers follow the IETF RateLimit
fields (draft-ietf-httpapi-ratelimit-headers-10: `RateLimit-Policy: "<id>";q=;w=` and
`RateLimit: "<id>";r=;t=`), with `Retry-After` on 429.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

POLICY = "tenant"
# Tenants seen by one pod are few (API keys are issued by operators); the map is pruned
# of full buckets when it grows past this, so it stays bounded whatever the traffic.
_MAX_TRACKED = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    reset_seconds: int  # until a request would be allowed again (0 when allowed)


class TenantRateLimiter:
    def __init__(self, rate_per_second: float, burst: int) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, tenant: str, now: float | None = None) -> Decision:
        """Spend one token of `tenant`'s bucket if there is one. Runs on the event loop
        only (no awaits inside), so no lock is needed."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(tenant)
        if bucket is None:
            if len(self._buckets) >= _MAX_TRACKED:
                self._prune(now)
            bucket = self._buckets[tenant] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Decision(True, int(bucket.tokens), 0)
        return Decision(False, 0, max(1, math.ceil((1 - bucket.tokens) / self.rate)))

    def headers(self, decision: Decision) -> dict[str, str]:
        window = max(1, math.ceil(self.burst / self.rate))
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.burst};w={window}',
            "RateLimit": f'"{POLICY}";r={decision.remaining};t={decision.reset_seconds}',
        }

    def _prune(self, now: float) -> None:
        full = [
            tenant
            for tenant, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst
        ]
        for tenant in full:
            del self._buckets[tenant]
        if len(self._buckets) >= _MAX_TRACKED:  # all busy: forget the oldest half
            for tenant in sorted(self._buckets, key=lambda t: self._buckets[t].updated)[
                : _MAX_TRACKED // 2
            ]:
                del self._buckets[tenant]
