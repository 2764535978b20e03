"""Locust load for a deploy-advisor scaffold: POST the sample payloads, record every response time.

Scaffolds copy this file verbatim as `locustfile.py`; `deploy-advisor loadtest` runs it headless.
It imports only Locust and the standard library.

Environment (all optional):
  DEPLOY_ADVISOR_PAYLOADS   JSON list of request bodies (default: samples/payloads.json beside it)
  DEPLOY_ADVISOR_PATH       request path (default /predict)
  DEPLOY_ADVISOR_USER_RATE  requests per second per user, open loop (default 0: no wait)
  DEPLOY_ADVISOR_SAMPLES    file prefix; each process appends `PREFIX.<pid>.csv` lines
                            `start_epoch_s,response_time_ms,ok,kind` for every request
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, events, task

_HERE = Path(__file__).resolve().parent
_PAYLOADS_PATH = Path(os.environ.get("DEPLOY_ADVISOR_PAYLOADS") or _HERE / "samples/payloads.json")
_REQUEST_PATH = os.environ.get("DEPLOY_ADVISOR_PATH", "/predict")
_USER_RATE = float(os.environ.get("DEPLOY_ADVISOR_USER_RATE", "0") or 0)
_SAMPLES_PREFIX = os.environ.get("DEPLOY_ADVISOR_SAMPLES", "")
_FLUSH_EVERY_S = 0.5


def _load_bodies() -> list[str]:
    payloads = json.loads(_PAYLOADS_PATH.read_text())
    if not isinstance(payloads, list) or not payloads:
        raise SystemExit(f"{_PAYLOADS_PATH} must hold a non-empty JSON list of request bodies")
    return [json.dumps(p) for p in payloads]


_BODIES = _load_bodies()


class _SampleRecorder:
    """Buffers one line per request and appends them to this process's own file."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lines: list[str] = []
        self.last_flush = time.monotonic()

    def add(self, line: str) -> None:
        self.lines.append(line)
        if time.monotonic() - self.last_flush >= _FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.lines:
            return
        # The pid is read at write time: --processes forks workers after this module loads.
        with Path(f"{self.prefix}.{os.getpid()}.csv").open("a") as out:
            out.write("".join(self.lines))
        self.lines.clear()


_recorder = _SampleRecorder(_SAMPLES_PREFIX) if _SAMPLES_PREFIX else None


def _kind(response: Any, exception: BaseException | None) -> str:
    status = getattr(response, "status_code", 0) or 0
    if status >= 400:
        return f"http_{status}"
    return type(exception).__name__ if exception is not None else "error"


@events.request.add_listener  # type: ignore[untyped-decorator]
def _record(
    response_time: float,
    exception: BaseException | None = None,
    start_time: float | None = None,
    response: Any = None,
    **_: Any,
) -> None:
    if _recorder is None:
        return
    started = start_time if start_time is not None else time.time() - response_time / 1000
    kind = "" if exception is None else _kind(response, exception).replace(",", ";")
    _recorder.add(f"{started:.6f},{response_time:.3f},{0 if exception else 1},{kind}\n")


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _flush_on_stop(**_: Any) -> None:
    if _recorder is not None:
        _recorder.flush()


if _recorder is not None:
    atexit.register(_recorder.flush)


_user_numbers = itertools.count()
_GOLDEN = 0.6180339887


class ModelUser(FastHttpUser):
    """Posts the sample payloads in turn; open loop at a fixed per-user rate when one is set."""

    def on_start(self) -> None:
        self._bodies = itertools.cycle(_BODIES)
        self._due = time.monotonic()
        if _USER_RATE > 0:
            # Spread the users' phases over one interval, or they all fire in bursts together.
            phase = (next(_user_numbers) * _GOLDEN) % 1.0 / _USER_RATE
            self._due += phase
            time.sleep(phase)

    def wait_time(self) -> float:
        """Pace by due time, so each user keeps its phase; a late answer never causes a burst."""
        if _USER_RATE <= 0:
            return 0.0
        now = time.monotonic()
        self._due = max(self._due + 1 / _USER_RATE, now)
        return self._due - now

    @task
    def predict(self) -> None:
        self.client.post(
            _REQUEST_PATH, data=next(self._bodies), headers={"Content-Type": "application/json"}
        )
