"""The receive loop: at-least-once, one message at a time, drained on SIGTERM.

A message is deleted only after its verdict is written (or there is provably nothing to
write), so a worker that dies at any point loses nothing: the message becomes visible
again when its visibility timeout ends and the next worker verifies it. What cannot
succeed by being received again (a poison message) is handed back at once, without
deleting, so the queue's redrive policy moves it to the dead-letter queue after
maxReceiveCount receives, where the alert and the runbook take over.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import structlog
from service_runtime.aws import DependencyError
from service_runtime.logs import get_logger

from verifier.events import PoisonMessageError, parse
from verifier.metrics import WorkerMetrics
from verifier.queue import Message, Queue
from verifier.verify import DONE, Outcome, Verifier

log = get_logger("verifier.worker")


class Worker:
    def __init__(
        self,
        queue: Queue,
        verifier: Verifier,
        metrics: WorkerMetrics,
        retry_delay_seconds: int,
        draining: Callable[[], bool] = lambda: False,
    ) -> None:
        self._queue = queue
        self._verifier = verifier
        self._metrics = metrics
        self._retry_delay = retry_delay_seconds
        self._stopping = False
        self._draining = draining  # SIGTERM: the runtime's drain has begun
        self.polling = False  # readiness: the loop runs and is not draining
        self.stopped = anyio.Event()

    def stop(self) -> None:
        """Receive no more; the message in hand is finished first."""
        self._stopping = True
        self.polling = False

    @property
    def stopping(self) -> bool:
        return self._stopping or self._draining()

    async def run(self) -> None:
        self.polling = True
        try:
            while not self.stopping:
                try:
                    messages = await self._queue.receive()
                except DependencyError as exc:
                    log.warning("receive failed; retrying", error=str(exc))
                    await anyio.sleep(1.0)
                    continue
                for message in messages:
                    if self.stopping:
                        # Received during the drain: give it straight back to another worker.
                        await self._queue.hand_back(message, 0)
                        self._metrics.messages.labels("released").inc()
                        continue
                    await self.handle(message)
        finally:
            self.polling = False
            self.stopped.set()

    async def handle(self, message: Message) -> None:
        started = time.perf_counter()
        try:
            # Every line logged while handling it names the message.
            with structlog.contextvars.bound_contextvars(message_id=message.id):
                outcome = await self._process(message)
        except PoisonMessageError as exc:
            log.error(
                "poison message; handing back for the dead-letter queue",
                message_id=message.id,
                receives=message.receives,
                reason=str(exc),
            )
            await self._queue.hand_back(message, after_seconds=self._retry_delay)
            self._metrics.messages.labels("poison").inc()
            return
        except DependencyError as exc:
            # Not deleted: it comes back after its visibility timeout, and a dependency
            # that stays down sends it to the dead-letter queue like any other failure.
            log.warning("verification failed; the message will be redelivered",
                        message_id=message.id, error=str(exc))  # fmt: skip
            self._metrics.messages.labels("error").inc()
            return
        self._metrics.duration.observe(time.perf_counter() - started)
        self._metrics.messages.labels(outcome).inc()
        if outcome in DONE:
            await self._queue.delete(message)
        else:
            await self._queue.hand_back(message, self._retry_delay)
        log.info("message handled", message_id=message.id, outcome=outcome,
                 receives=message.receives)  # fmt: skip

    async def _process(self, message: Message) -> Outcome:
        events = parse(message.body)
        log.info("verifying", object_keys=[e.key for e in events])
        outcomes = [await self._verifier.verify(event) for event in events]
        if not outcomes:
            return "gone"  # S3's test event: nothing to verify
        if "foreign" in outcomes:
            raise PoisonMessageError("not an object of depot's bucket and key layout")
        pending = [o for o in outcomes if o not in DONE]
        return pending[0] if pending else outcomes[0]
