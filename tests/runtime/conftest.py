"""Real models and real servers for the runtime tests.

Models are trained once per session (offline: breast_cancer ships with scikit-learn). Servers
run as subprocesses (``python -m deploy_advisor.runtime serve``) on a port the kernel picks;
each fixture waits for readiness with a deadline and always stops its process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import imported_from

from .churn import Churn, train_churn

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0

# Helper estimators the server must unpickle: they live in a module written to disk and put on
# the server's PYTHONPATH.
HELPERS = textwrap.dedent(
    '''
    import os
    import pathlib
    import time

    import numpy as np

    BOOM = -1.0  # a request whose first value is this makes the model raise


    class Boom:
        """Wraps a classifier; raises on rows whose first value is BOOM."""

        def __init__(self, inner):
            self.inner = inner
            self.n_features_in_ = inner.n_features_in_
            self.classes_ = inner.classes_

        def predict(self, X):
            return self.inner.predict(X)

        def predict_proba(self, X):
            if np.any(np.asarray(X)[:, 0] == BOOM):
                raise RuntimeError("boom: the model cannot handle this row")
            return self.inner.predict_proba(X)


    class Slow:
        """Wraps a classifier; every predict call takes `delay` seconds more and first leaves
        a file in `markers` (when set), so that tests know a call is under way."""

        def __init__(self, inner, delay, markers=None):
            self.inner = inner
            self.delay = delay
            self.markers = markers
            self.n_features_in_ = inner.n_features_in_
            self.classes_ = inner.classes_

        def predict(self, X):
            return self.inner.predict(X)

        def predict_proba(self, X):
            if self.markers:
                pathlib.Path(self.markers, f"{os.getpid()}-{time.time_ns()}").touch()
            time.sleep(self.delay)
            return self.inner.predict_proba(X)


    class SlowToLoad(Slow):
        """Takes `load_delay` seconds to unpickle."""

        def __init__(self, inner, delay, load_delay):
            super().__init__(inner, delay)
            self.load_delay = load_delay

        def __setstate__(self, state):
            time.sleep(state["load_delay"])
            self.__dict__.update(state)
    '''
)


@dataclass
class Models:
    dir: Path
    helpers: Path
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    rf: Any
    rf_joblib: Path
    rf_onnx: Path
    rf_named: Path
    boom: Path
    slow: Path
    markers: Path
    slow_to_load: Path
    regressor: Path


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    import joblib
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import clone
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import Ridge

    d = tmp_path_factory.mktemp("models")
    data = load_breast_cancer()
    X, y = data.data, data.target
    names = [str(n) for n in data.feature_names]
    rf = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    joblib.dump(rf, d / "rf.joblib")
    onx = convert_sklearn(
        rf,
        initial_types=[("input", FloatTensorType([None, X.shape[1]]))],
        options={id(rf): {"zipmap": False}},
    )
    (d / "rf.onnx").write_bytes(onx.SerializeToString())

    named = clone(rf).fit(X, y)
    named.feature_names_in_ = np.array(names, dtype=object)  # as if fitted on a DataFrame
    joblib.dump(named, d / "rf_named.joblib")
    joblib.dump(Ridge().fit(X, y.astype(float)), d / "ridge.joblib")

    helpers = d / "helpers"
    helpers.mkdir()
    (helpers / "rt_helpers.py").write_text(HELPERS)
    with imported_from(helpers, "rt_helpers") as rt_helpers:
        joblib.dump(rt_helpers.Boom(rf), d / "boom.joblib")
        (d / "markers").mkdir()
        joblib.dump(rt_helpers.Slow(rf, 0.4, str(d / "markers")), d / "slow.joblib")
        joblib.dump(rt_helpers.SlowToLoad(rf, 0.0, 3.0), d / "slow_to_load.joblib")
    return Models(
        dir=d,
        helpers=helpers,
        X=X,
        y=y,
        feature_names=names,
        rf=rf,
        rf_joblib=d / "rf.joblib",
        rf_onnx=d / "rf.onnx",
        rf_named=d / "rf_named.joblib",
        boom=d / "boom.joblib",
        slow=d / "slow.joblib",
        markers=d / "markers",
        slow_to_load=d / "slow_to_load.joblib",
        regressor=d / "ridge.joblib",
    )


# --- running servers ---------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    log_path: Path

    def log_lines(self) -> list[dict[str, Any]]:
        """The server's JSON log lines (other lines, e.g. gunicorn's, are skipped)."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict):
                    out.append(data)
        return out

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise


def metric(text: str, name: str) -> float:
    """The value of one sample line (``name`` includes its labels) in Prometheus text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics:\n{text}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(models: Models | None = None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "PORT",
            "AIP_HTTP_PORT",
            "AIP_PREDICT_ROUTE",
            "AIP_HEALTH_ROUTE",
            "MODEL_PATH",
            "HOST",
            "WORKERS",
        }
    }
    paths = [str(REPO)]
    if models is not None:
        paths.insert(0, str(models.helpers))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


def _wait_listening(proc: subprocess.Popen[bytes], log_path: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if '"event":"listening"' in line:
                return int(json.loads(line)["port"])
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"server did not start listening:\n{log_path.read_text()}")


def wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path, deadline: float) -> None:
    with httpx.Client(timeout=5.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {proc.returncode}:\n{log_path.read_text()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if c.get(f"{url}/readyz").status_code == 200:
                    return
            time.sleep(0.05)
    raise AssertionError(f"server not ready in time:\n{log_path.read_text()}")


@contextlib.contextmanager
def start_server(
    tmp_path: Path,
    argv: list[str],
    env: dict[str, str],
    *,
    ready: bool = True,
    port: int | None = None,
    name: str = "server",
) -> Iterator[Server]:
    """Run ``argv``; the port comes from the "listening" log line unless given."""
    log_path = tmp_path / f"{name}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        if port is None:
            port = _wait_listening(proc, log_path, deadline)
        url = f"http://127.0.0.1:{port}"
        if ready:
            wait_ready(url, proc, log_path, deadline)
        yield Server(proc, url, port, log_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def runtime_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "deploy_advisor.runtime", "serve", *args]


@contextlib.contextmanager
def serve_model(
    tmp_path: Path, models: Models, model: Path, *args: str, ready: bool = True, **env: str
) -> Iterator[Server]:
    argv = runtime_argv("--model", str(model), "--port", "0", *args)
    with start_server(tmp_path, argv, server_env(models, **env), ready=ready) as srv:
        yield srv


def serve_refused(
    model: Path, *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`serve` on a model it cannot load: the finished process, with its stderr as text."""
    return subprocess.run(
        runtime_argv("--model", str(model), "--port", "0"),
        env=env if env is not None else server_env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def wait_for_predict_call(models: Models, timeout: float = 30.0) -> None:
    """Block until the Slow model has started a predict call since the markers were cleared."""
    deadline = time.monotonic() + timeout
    while not any(models.markers.iterdir()):
        assert time.monotonic() < deadline, "no predict call started"
        time.sleep(0.01)


def wait_in_flight(srv: Server, at_least: int = 1, timeout: float = 30.0) -> None:
    """Block until the server is handling `at_least` requests besides the scrape that asks."""
    name = "model_server_requests_in_flight"
    deadline = time.monotonic() + timeout
    while metric(httpx.get(f"{srv.url}/metrics", timeout=30).text, name) < at_least + 1:
        assert time.monotonic() < deadline, f"fewer than {at_least} requests reached the server"
        time.sleep(0.01)


def clear_markers(models: Models) -> None:
    for f in models.markers.iterdir():
        f.unlink()


@pytest.fixture(scope="module")
def rf_server(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve_model(tmp_path_factory.mktemp("rf"), models, models.rf_joblib) as srv:
        yield srv


@pytest.fixture(scope="module")
def onnx_server(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve_model(tmp_path_factory.mktemp("onnx"), models, models.rf_onnx) as srv:
        yield srv


@pytest.fixture(scope="module")
def named_server(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve_model(
        tmp_path_factory.mktemp("named"), models, models.rf_named, "--model-name", "cancer"
    ) as srv:
        yield srv


@pytest.fixture(scope="session")
def tabular(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Tabular models (see tests/runtime/tabular.py), trained once per session."""
    from .tabular import build

    return build(tmp_path_factory.mktemp("tabular"))


@pytest.fixture(scope="module")
def frame_churn(tmp_path_factory: pytest.TempPathFactory) -> Churn:
    """The churn pipeline of :mod:`.churn`, trained and saved with joblib."""
    return train_churn(tmp_path_factory.mktemp("churn"))


@pytest.fixture(scope="module")
def frame_churn_server(
    frame_churn: Churn, models: Models, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server of :func:`frame_churn` named ``churn``."""
    with serve_model(
        tmp_path_factory.mktemp("churn-srv"), models, frame_churn.path, "--model-name", "churn"
    ) as srv:
        yield srv
