"""Helpers of the stays-up tests: misbehaving models the server can unpickle, an open-loop load
generator (to 127.0.0.1 only, bounded in time and in requests in flight), and process memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from tests.conftest import imported_from

from .conftest import REPO, Models, Server, runtime_argv, start_server

RAISE_ON = -1.0  # a row whose first value is this makes the raising model fail
SLOW_ON = -2.0  # a row whose first value is this makes the slow model take SLOW_S
SLOW_S = 5.0

# Estimators the server loads from joblib files: the module is put on the server's PYTHONPATH.
SOURCE = textwrap.dedent(
    f'''
    import time

    import numpy as np


    class Raising:
        """A fitted classifier that raises on rows whose first value is {RAISE_ON}."""

        def __init__(self, inner):
            self.inner = inner
            self.n_features_in_ = inner.n_features_in_
            self.classes_ = inner.classes_

        def predict(self, X):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

        def predict_proba(self, X):
            if np.any(np.asarray(X)[:, 0] == {RAISE_ON}):
                raise ValueError("cannot score a row whose first value is {RAISE_ON}")
            return self.inner.predict_proba(X)


    class Sleepy(Raising):
        """Every predict call takes `delay` seconds, or {SLOW_S} s when a row's first value is
        {SLOW_ON}: a model with a known capacity."""

        def __init__(self, inner, delay):
            super().__init__(inner)
            self.delay = delay

        def predict_proba(self, X):
            X = np.asarray(X)
            time.sleep({SLOW_S} if np.any(X[:, 0] == {SLOW_ON}) else self.delay)
            return self.inner.predict_proba(X)
    '''
)


@dataclass
class StayModels:
    helpers: Path
    raising: Path
    sleepy: Path
    """0.2 s per call (and a forest's predict)."""
    slow_on_marker: Path
    """Fast (a forest) unless a row starts with SLOW_ON."""


def build_models(directory: Path, models: Models) -> StayModels:
    import joblib

    helpers = directory / "helpers"
    helpers.mkdir()
    (helpers / "stay_helpers.py").write_text(SOURCE)
    with imported_from(helpers, "stay_helpers") as stay_helpers:
        out = StayModels(
            helpers=helpers,
            raising=directory / "raising.joblib",
            sleepy=directory / "sleepy.joblib",
            slow_on_marker=directory / "slow_on_marker.joblib",
        )
        joblib.dump(stay_helpers.Raising(models.rf), out.raising)
        joblib.dump(stay_helpers.Sleepy(models.rf, 0.2), out.sleepy)
        joblib.dump(stay_helpers.Sleepy(models.rf, 0.0), out.slow_on_marker)
    return out


@contextlib.contextmanager
def serve_stay(
    tmp_path: Path, models: Models, stay: StayModels, model: Path, *args: str, **extra: str
) -> Iterator[Server]:
    """Serve ``model`` (one of ``stay``'s or ``models``') with ``args`` until the block ends."""
    drop = {"PORT", "AIP_HTTP_PORT", "MODEL_PATH", "HOST", "WORKERS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    paths = [str(stay.helpers), str(models.helpers), str(REPO), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update(extra)
    argv = runtime_argv("--model", str(model), "--port", "0", *args)
    with start_server(tmp_path, argv, env) as srv:
        yield srv


# --- open-loop load ------------------------------------------------------------------------------


@dataclass
class Outcome:
    sent_at: float
    """Seconds since the run started."""
    seconds: float
    status: int | None
    """None when no response came (``error`` says why)."""
    error: str | None = None
    retry_after: str | None = None


def open_loop(
    url: str,
    body: bytes,
    *,
    rate: float,
    seconds: float,
    max_in_flight: int = 200,
    timeout: float = 15.0,
    until: threading.Event | None = None,
) -> list[Outcome]:
    """POST ``body`` to ``url`` ``rate`` times a second for ``seconds`` (or until ``until`` is
    set), whether or not earlier requests have been answered (an open loop), over pooled
    keep-alive connections; a request that finds ``max_in_flight`` others unanswered is
    recorded as an error, not sent."""
    assert url.startswith("http://127.0.0.1:"), url
    done = until or threading.Event()
    return asyncio.run(_open_loop(url, body, rate, seconds, max_in_flight, timeout, done))


async def _open_loop(
    url: str,
    body: bytes,
    rate: float,
    seconds: float,
    max_in_flight: int,
    timeout: float,
    until: threading.Event,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=32)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        start = time.perf_counter()
        in_flight = 0

        async def one(at: float) -> None:
            nonlocal in_flight
            t = time.perf_counter()
            try:
                r = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                outcomes.append(Outcome(at, time.perf_counter() - t, None, repr(exc)))
            else:
                outcomes.append(
                    Outcome(
                        at,
                        time.perf_counter() - t,
                        r.status_code,
                        None,
                        r.headers.get("retry-after"),
                    )
                )
            finally:
                in_flight -= 1

        tasks = []
        n = int(rate * seconds)
        for i in range(n):
            if until.is_set():
                break
            at = i / rate
            delay = start + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= max_in_flight:
                outcomes.append(Outcome(at, 0.0, None, "client limit: too many in flight"))
                continue
            in_flight += 1
            tasks.append(asyncio.ensure_future(one(at)))
        await asyncio.gather(*tasks)
    return outcomes


def percentile(values: list[float], q: float) -> float:
    assert values, "no values"
    return float(np.percentile(values, q))


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")
