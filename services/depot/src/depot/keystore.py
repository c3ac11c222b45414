"""Keeps the key set fresh from Secrets Manager in the background.

Until the first successful load the pod is not ready (it could only answer 401s). After
that a failed refresh keeps the last good key set: an outage of Secrets Manager must not
lock every tenant out.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import anyio
from prometheus_client import Gauge
from pydantic import ValidationError
from service_runtime.aws import DependencyError
from service_runtime.health import DependencyStatus
from service_runtime.logs import get_logger
from service_runtime.metrics import Metrics

from depot.aws import Aws
from depot.keys import KeySet, KeySetDocument

log = get_logger("depot.keystore")
_FIRST_LOAD_RETRY_SECONDS = 0.5


class KeyStore:
    def __init__(self, aws: Aws, secret_id: str, refresh_seconds: float, metrics: Metrics) -> None:
        self._aws = aws
        self._secret_id = secret_id
        self._refresh_seconds = refresh_seconds
        # depot's own gauges, next to the runtime's on the app's registry.
        self._loaded_gauge = Gauge(
            "depot_keys_loaded", "API keys in the loaded key set.", registry=metrics.registry
        )
        self._refreshed_gauge = Gauge(
            "depot_keys_last_refresh_timestamp_seconds",
            "Unix time of the last successful key set refresh.",
            registry=metrics.registry,
        )
        self.keys = KeySet()
        self.loaded = False
        self.status = DependencyStatus(up=False)

    def _record(self, error: str | None) -> None:
        self.status = DependencyStatus(up=error is None, checked_at=datetime.now(UTC), error=error)

    async def refresh(self) -> bool:
        """Load the secret once; return whether the key set was replaced."""
        try:
            response = await self._aws.call(
                "secretsmanager",
                "GetSecretValue",
                lambda: self._aws.secretsmanager.get_secret_value(SecretId=self._secret_id),
            )
        except DependencyError as exc:
            log.warning("key set refresh failed", backend=exc.backend, outcome=exc.outcome)
            self._record(exc.outcome)
            return False
        except Exception as exc:  # AccessDenied, missing secret: keep serving with the last set
            log.error("key set refresh failed", error=type(exc).__name__)
            self._record(type(exc).__name__)
            return False
        self._record(None)
        try:
            document = KeySetDocument.model_validate_json(response["SecretString"])
        except (ValidationError, KeyError) as exc:
            log.error("key secret is malformed; keeping the previous key set", error=str(exc)[:500])
            return False
        self.keys = KeySet(document)
        self.loaded = True
        self._loaded_gauge.set(len(self.keys))
        self._refreshed_gauge.set(time.time())
        return True

    async def run(self) -> None:
        """Refresh forever: quickly until the first load, then every interval."""
        while True:
            ok = await self.refresh()
            if ok and len(self.keys) == 0:
                log.warning("key set is empty: every request will get 401")
            delay = self._refresh_seconds if self.loaded else _FIRST_LOAD_RETRY_SECONDS
            await anyio.sleep(min(delay, self._refresh_seconds))
