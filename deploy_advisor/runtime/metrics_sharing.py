"""This worker's part in the shared metrics directory: it publishes its numbers at startup,
every :data:`~.metrics.PUBLISH_INTERVAL_S` and once more at shutdown, and reads the others'."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .metrics import PUBLISH_INTERVAL_S, Metrics, SharedMetrics

__all__ = ["MetricsPublisher"]

log = logging.getLogger("model_server")


class MetricsPublisher:
    """Shares ``metrics`` through ``directory``; with no directory, /metrics counts this worker."""

    def __init__(self, directory: str | None, metrics: Metrics) -> None:
        self.directory = directory
        self.metrics = metrics
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shared: SharedMetrics | None = None
        self._publishing: asyncio.TimerHandle | None = None
        self._failed = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self.directory:
            return
        self._loop = loop
        try:
            self._shared = SharedMetrics(self.directory, self.metrics)
        except OSError as exc:
            log.warning(
                "cannot share metrics in %s (%s): /metrics counts this worker only",
                self.directory,
                exc,
            )
        else:
            self._publish()

    def stop(self) -> None:
        if self._publishing is not None:
            self._publishing.cancel()
        if self._shared is not None:
            self._publish_now()  # the final counts stay in the other workers' sums

    def peers(self) -> list[dict[str, Any]]:
        """The other workers' latest snapshots (none when the metrics are not shared)."""
        return self._shared.peers() if self._shared is not None else []

    def _publish(self) -> None:
        """Write this worker's metrics for the others, now and every PUBLISH_INTERVAL_S."""
        assert self._loop is not None
        self._publish_now()
        self._publishing = self._loop.call_later(PUBLISH_INTERVAL_S, self._publish)

    def _publish_now(self) -> None:
        assert self._shared is not None
        try:
            self._shared.publish()
        except OSError as exc:
            if not self._failed:  # once, not every second
                log.warning("cannot share metrics in %s: %s", self._shared.directory, exc)
            self._failed = True
