"""Cold starts measured on purpose: scale the server to zero, then wake it with one request.

A short run at a steady rate never idles long enough for a platform to scale to zero, so its
cold starts would go unmeasured; `probe_cold_starts` stops the instance as the idle period
would and sends one prediction, `count` times, before the load. The scale-to-zero front times
each wake (`Launched.cold_starts`), so the run's `cold_start` holds them."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from deploy_advisor import console
from deploy_advisor.emulate.launched import Launched
from deploy_advisor.errors import LaunchError

__all__ = ["probe_cold_starts"]

#: How long one woken request may take: the container's start and the model's load included.
WAKE_TIMEOUT_S = 180.0


def probe_cold_starts(
    launched: Launched, *, payloads: Path, count: int, path: str = "/predict"
) -> int:
    """Wake a scaled-to-zero server `count` times with the first payload; returns the wakes.
    A server that never scales to zero is left alone (0)."""
    if count <= 0 or launched.scale_to_zero is None:
        return 0
    body = json.dumps(json.loads(payloads.read_text(encoding="utf-8"))[0]).encode()
    url = f"{launched.base_url}{path}"
    console.info(f"Scaling to zero and waking the server {count} times to measure cold starts …")
    woken = 0
    for _ in range(count):
        if not launched.scale_to_zero():
            continue  # a request was still open: this wake would not be cold
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=WAKE_TIMEOUT_S) as answer:
                answer.read()
        except OSError as exc:  # URLError and HTTPError included
            raise LaunchError(
                f"the request that woke the scaled-to-zero server at {url} failed ({exc}); "
                "see server.log in the run directory"
            ) from None
        woken += 1
    return woken
