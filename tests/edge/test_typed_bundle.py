"""Pipelines over DataFrames (strings, whole numbers, booleans, missing values) through
inspect -> scaffold --target edge -> the bundle's own runtime, which answers like the pipeline;
a step no converter handles is refused in one line naming it."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from .conftest import run_cli, scaffold_edge, serving
from .typed_models import TypedCase, churn_pipeline, house_pipeline, refused_pipeline

TOLERANCE = 1e-5
"""The bundle's float32 answers against the pipeline's float64 ones (parity checks 1e-4)."""


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """(the case, its inspect --json report, its bundle directory) per pipeline, written once
    by the real CLI."""
    made: dict[str, Any] = {}

    def make(kind: str) -> Any:
        if kind not in made:
            folder = tmp_path_factory.mktemp(kind)
            case = churn_pipeline(folder) if kind == "churn" else house_pipeline(folder)
            inspected = run_cli("inspect", case.model, "--json")
            assert inspected.returncode == 0, inspected.stderr
            done = scaffold_edge(case.model, folder / "bundle")
            assert done.returncode == 0, done.stderr
            parity = r"parity: max abs difference \S+ in \w+ on 500 sample rows, within tolerance"
            assert re.search(parity, done.stderr), done.stderr
            made[kind] = case, json.loads(inspected.stdout), folder / "bundle"
        return made[kind]

    return make


@pytest.fixture(params=["churn", "house"])
def typed(request: pytest.FixtureRequest, bundles: Callable[[str], Any]) -> Any:
    return bundles(request.param)


@pytest.fixture
def house(bundles: Callable[[str], Any]) -> Any:
    """The house pipeline: an encoder refusing unknown colours, a whole-number column."""
    return bundles("house")


def _runtime(bundle: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_runtime", *args],
        input=stdin, capture_output=True, text=True, cwd=bundle, timeout=120, check=False,
    )  # fmt: skip


def _answers(case: TypedCase, lines: list[dict[str, Any]]) -> np.ndarray:
    key = "probabilities" if "probabilities" in lines[0] else "variable"
    return np.asarray([line[key] for line in lines], dtype=float).reshape(case.expected.shape)


def test_the_bundle_takes_the_columns_inspect_reports(typed: Any) -> None:
    case, report, bundle = typed
    info = json.loads((bundle / "bundle.json").read_text())
    shown = [(c["name"], c["type"], c["nullable"]) for c in report["schema"]["columns"]]
    assert [(c["name"], c["type"], c["nullable"]) for c in info["inputs"]] == shown
    session = ort.InferenceSession(str(bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    tensors = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    assert list(tensors) == [c["name"] for c in info["inputs"]]
    kinds = {"string": "tensor(string)", "float": "tensor(float)", "int64": "tensor(int64)"}
    assert tensors == {c["name"]: (kinds[c["tensor"]], [None, 1]) for c in info["inputs"]}
    assert "records" in json.loads((bundle / "sample.json").read_text())
    requirements = (bundle / "requirements.txt").read_text().splitlines()
    assert [line.split("==")[0] for line in requirements] == ["onnxruntime", "numpy"]


def test_house_columns_are_fed_as_strings_whole_numbers_and_floats(house: Any) -> None:
    _, _, bundle = house
    inputs = json.loads((bundle / "bundle.json").read_text())["inputs"]
    assert {c["name"]: c["tensor"] for c in inputs} == {
        "colour": "string", "rooms": "int64", "area": "float", "garden": "float", "city": "string",
    }  # fmt: skip
    assert next(c for c in inputs if c["name"] == "colour")["categories"] == [
        "blue", "green", "red",
    ]  # fmt: skip


def test_records_with_strings_and_missing_values_predict_like_the_pipeline(typed: Any) -> None:
    case, _, bundle = typed
    assert case.frame.isna().any().any()  # the rows sent hold missing values

    done = _runtime(bundle, "predict", "--stats", stdin=json.dumps({"records": case.records()}))

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    np.testing.assert_allclose(_answers(case, lines), case.expected, atol=TOLERANCE)
    assert json.loads(done.stderr.splitlines()[-1])["rows"] == len(case.frame)


def test_csv_under_a_header_in_any_order_predicts_alike(typed: Any) -> None:
    case, _, bundle = typed
    text = case.frame[case.frame.columns[::-1]].to_csv(index=False)

    done = _runtime(bundle, "predict", "--format", "csv", stdin=text)

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    np.testing.assert_allclose(_answers(case, lines), case.expected, atol=TOLERANCE)


def test_the_sample_the_bundle_ships_predicts(typed: Any) -> None:
    _, _, bundle = typed
    sample = (bundle / "sample.json").read_text()

    done = _runtime(bundle, "predict", stdin=sample)

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(json.loads(sample)["records"]) == 20
    bench = _runtime(bundle, "bench", "--predictions", "50", stdin="")
    assert bench.returncode == 0, bench.stderr
    assert json.loads(bench.stdout)["predictions"] == 50


def test_http_mode_answers_records(typed: Any) -> None:
    case, _, bundle = typed
    with serving(bundle) as base:
        answers = _post(f"{base}/predict", {"records": case.records()})
        np.testing.assert_allclose(_answers(case, answers), case.expected, atol=TOLERANCE)
        bad = {"records": [{**case.records()[0], "surprise": 1}]}
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(f"{base}/predict", bad)
        assert refused.value.code == 400
        assert json.loads(refused.value.read())["error"].startswith(
            "JSON row 1: unknown column 'surprise'; the model takes "
        )


def _post(url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answers: list[dict[str, Any]] = json.loads(response.read())["predictions"]
    return answers


def test_an_exported_typed_onnx_is_taken_as_is_with_its_columns(house: Any, tmp_path: Path) -> None:
    case, _, bundle = house

    done = scaffold_edge(bundle / "model.onnx", tmp_path / "again")

    assert done.returncode == 0, done.stderr
    again = tmp_path / "again"
    assert (again / "model.onnx").read_bytes() == (bundle / "model.onnx").read_bytes()
    info = json.loads((again / "bundle.json").read_text())
    assert info["inputs"] == json.loads((bundle / "bundle.json").read_text())["inputs"]
    predicted = _runtime(again, "predict", stdin=(again / "sample.json").read_text())
    assert predicted.returncode == 0, predicted.stderr
    assert len(predicted.stdout.splitlines()) == 20


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "purple"}, "JSON row 1, column 'colour': 'purple' is not a category the "
                               "model knows (blue, green, red)"),
        ({"colour": None}, "JSON row 1, column 'colour': missing, and the model takes no missing "
                           "value there; send a string"),
        ({"rooms": 2.5}, "JSON row 1, column 'rooms': 2.5 is not a whole number"),
        ({"area": "big"}, "JSON row 1, column 'area': 'big' is not a number"),
    ],
)  # fmt: skip
def test_bad_typed_input_is_one_line_naming_the_row_and_column(
    house: Any, change: dict[str, Any], message: str
) -> None:
    case, _, bundle = house
    record = {**case.records()[0], **change}

    done = _runtime(bundle, "predict", stdin=json.dumps({"records": [record]}))

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing-category", "step 'columns/city' (OneHotEncoder) learned a missing value as a "
                             "category, and ONNX string tensors cannot hold one"),
        ("spline", "step 'columns/area/splinetransformer' (SplineTransformer) has no skl2onnx "
                   "converter"),
    ],
)  # fmt: skip
def test_a_step_no_converter_handles_is_refused_in_one_line(
    kind: str, message: str, tmp_path: Path
) -> None:
    model = refused_pipeline(tmp_path, kind)

    done = scaffold_edge(model, tmp_path / "bundle")

    assert done.returncode == 2
    error = done.stderr.splitlines()[-1]
    assert error.startswith(f"Error: {model.name}: {message}"), done.stderr
    assert error.endswith("; serve it with --target docker, or export it to ONNX yourself and "
                          "pass the .onnx")  # fmt: skip
    assert done.stderr.count("Error") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "bundle").exists()


@pytest.mark.docker
@pytest.mark.slow
def test_the_typed_bundle_image_builds_offline_and_answers_records_like_the_pipeline(
    bundles: Callable[[str], Any], docker_client: Any, tmp_path: Path
) -> None:
    import docker

    from deploy_advisor.edge.bench import _build_context
    from tests.conftest import BASE_IMAGE

    case, _, bundle = bundles("churn")
    context = _build_context(bundle, tmp_path / "context")  # adds wheels/ for offline
    tag = f"da-edge-typed-test:{uuid.uuid4().hex[:8]}"
    container = None
    try:
        docker_client.images.build(
            path=str(context), tag=tag, buildargs={"BASE_IMAGE": BASE_IMAGE}, rm=True,
            forcerm=True, network_mode="none",
        )  # fmt: skip
        container = docker_client.containers.run(
            tag, detach=True, name=f"da-edge-typed-{uuid.uuid4().hex[:8]}",
            ports={"8080/tcp": ("127.0.0.1", None)},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while b"listening on" not in container.logs() and time.monotonic() < deadline:
            time.sleep(0.2)
        container.reload()
        port = container.ports["8080/tcp"][0]["HostPort"]
        answers = _post(f"http://127.0.0.1:{port}/predict", {"records": case.records()})
        np.testing.assert_allclose(_answers(case, answers), case.expected, atol=TOLERANCE)
        code, output = container.exec_run(["python", "-m", "edge_runtime", "bench",
                                           "--predictions", "50"])  # fmt: skip
        assert code == 0, output.decode()
        assert json.loads(output.decode().splitlines()[-1])["predictions"] == 50
    finally:
        if container is not None:
            container.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag, force=True)
