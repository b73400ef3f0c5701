"""`sam build` output, invoked as Lambda runs it, two ways: every event in events/ through `sam local
invoke` (SAM's own emulator, in the Lambda base image, the endpoint being the model image on a Docker
network), and through an import of the built function and layer with nothing but the runtime's boto3
on the path (`python -S`, the real model server on loopback), which also times the cold import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sentiment.core.config import PROJECT_ROOT
from tests.processes import free_port, running, sentiment_command
from tests.sam import ORIGIN, SamLocal

pytestmark = pytest.mark.slow
EVENTS = PROJECT_ROOT / "events"
EVENT_FILES = sorted(p for p in EVENTS.glob("*.json") if p.name != "env.json")
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "dateutil", "urllib3", "s3transfer", "six.py")


@pytest.fixture(scope="module")
def build_dir(built_template: Path) -> Path:
    return built_template.parent


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the python3.11 Lambda runtime provides besides the standard library: boto3."""
    folder = tmp_path_factory.mktemp("runtime")
    site = Path(__import__("boto3").__file__).parent.parent
    for name in RUNTIME_PACKAGES:
        (folder / name).symlink_to(site / name)
    return folder


@pytest.fixture(scope="module")
def imported(build_dir: Path, lambda_runtime: Path) -> dict[str, Any]:
    """Every event file through the built handler imported with `python -S`, the real model server as
    the endpoint."""
    port = free_port()
    events = [str(p) for p in EVENT_FILES]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ENDPOINT_NAME": "sentiment-endpoint",
        "ALLOWED_ORIGIN": ORIGIN,
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "sentiment-api",
        "POWERTOOLS_METRICS_NAMESPACE": "Sentiment",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    command = sentiment_command("serve", "--model-dir", "model/artifact", "--port", str(port), "--workers", "1")
    with running(command, f"http://127.0.0.1:{port}/ping"):
        done = subprocess.run(
            [
                sys.executable,
                "-S",
                str(PROJECT_ROOT / "tests" / "lambda_invoke.py"),
                str(build_dir / "PredictFunction"),
                str(build_dir / "PreprocessLayer" / "python"),
                str(lambda_runtime),
                *events,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=build_dir,
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["logs"] = done.stderr
    return result


@pytest.fixture(scope="module", params=["python -S", "sam local invoke"])
def invoked(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The responses to every event file, by its path, and the logs, from one way of invoking."""
    if request.param == "python -S":
        return request.getfixturevalue("imported")  # type: ignore[no-any-return]
    sam: SamLocal = request.getfixturevalue("sam_local")
    runs = {str(event): sam.invoke("PredictFunction", event) for event in EVENT_FILES}
    return {
        "responses": {path: run["result"] for path, run in runs.items()},
        "logs": "\n".join(run["logs"] for run in runs.values()),
    }


def response(invoked: dict[str, Any], name: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    answer = invoked["responses"][str(EVENTS / f"{name}.json")]
    headers = {k.lower(): ", ".join(v) for k, v in (answer.get("multiValueHeaders") or {}).items()}
    headers.update({k.lower(): v for k, v in (answer.get("headers") or {}).items()})
    body = json.loads(answer["body"]) if answer.get("body") else {}
    return answer["statusCode"], headers, body


def test_the_layer_carries_the_sentiment_code_without_torch_or_numpy(
    build_dir: Path, imported: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    layer = build_dir / "PreprocessLayer" / "python"
    invoked = imported
    assert invoked["sentiment_file"].startswith(str(layer))
    for heavy in ("torch", "numpy", "boto3", "sklearn"):
        assert not (layer / heavy).exists(), heavy
    served = layer / "sentiment" / "served"
    assert (served / "word_dict.json").read_bytes() == (PROJECT_ROOT / "model/artifact/word_dict.json").read_bytes()
    size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file())
    function_size = sum(f.stat().st_size for f in (build_dir / "PredictFunction").rglob("*") if f.is_file())
    with capsys.disabled():
        print(
            f"\n[layer {size / 1e6:.1f} MB, function {function_size / 1e6:.1f} MB, "
            f"cold import {invoked['init_s']:.2f} s: the runtime's boto3 {invoked['boto3_s']:.2f} s, "
            f"the X-Ray SDK (Tracer) {invoked['xray_s']:.2f} s, the rest "
            f"{invoked['init_s'] - invoked['boto3_s'] - invoked['xray_s']:.2f} s]"
        )
    assert size < 5e6  # the default model's preprocessing needs no third-party code at all


@pytest.mark.parametrize("function", ["PredictFunction", "ReaperFunction"])
def test_functions_ship_precompiled_code_and_never_the_runtimes_boto3(build_dir: Path, function: str) -> None:
    folder = build_dir / function
    for provided in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil"):
        assert not (folder / provided).exists(), provided  # a second botocore would shadow the runtime's
    assert (folder / "__pycache__" / f"app.cpython-{sys.version_info.major}{sys.version_info.minor}.pyc").is_file()
    assert list((build_dir / "PreprocessLayer" / "python" / "sentiment" / "api" / "__pycache__").glob("*.pyc"))


def test_valid_single_review(invoked: dict[str, Any]) -> None:
    status, headers, body = response(invoked, "predict_single")
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert headers["access-control-allow-origin"] == ORIGIN
    assert body["label"] == "POSITIVE" and body["score"] > 0.8
    review = json.loads(json.loads((EVENTS / "predict_single.json").read_text())["body"])["review"]
    for word in body["explanation"]:
        assert review[word["start"] : word["end"]] == word["word"]
    assert {"name", "version", "variant"} <= set(body["model"])


def test_valid_batch_keeps_good_items_and_names_the_bad_one(invoked: dict[str, Any]) -> None:
    status, _, body = response(invoked, "predict_batch")
    assert status == 200
    assert [(r["index"], r["label"]) for r in body["results"]] == [(0, "NEGATIVE"), (1, "POSITIVE")]
    assert body["errors"] == [{"index": 2, "code": "empty_review", "message": "the review is empty"}]


def test_plain_text_body_is_one_review(invoked: dict[str, Any]) -> None:
    status, _, body = response(invoked, "predict_plain_text")
    assert status == 200 and body["label"] == "POSITIVE"


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        ("predict_empty_body", 400, "empty_body"),
        ("predict_malformed_json", 400, "malformed_json"),
        ("predict_oversized_review", 413, "review_too_long"),
        ("predict_wrong_media_type", 415, "unsupported_media_type"),
        ("unknown_route", 404, "not_found"),
    ],
)
def test_bad_requests_get_a_specific_json_error(invoked: dict[str, Any], event: str, status: int, code: str) -> None:
    got, headers, body = response(invoked, event)
    assert (got, body["error"]["code"]) == (status, code)
    assert headers["content-type"] == "application/json"
    assert body["error"]["message"]


def test_health(invoked: dict[str, Any]) -> None:
    status, _, body = response(invoked, "health")
    assert status == 200 and body["status"] == "ok" and body["endpoint"] == "sentiment-endpoint"
    assert body["limits"]["max_batch_reviews"] == 100


def test_preflight_from_the_website_origin(invoked: dict[str, Any]) -> None:
    status, headers, _ = response(invoked, "predict_preflight")
    assert status == 204
    assert headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in headers["access-control-allow-methods"]


def test_no_traceback_reaches_a_caller(invoked: dict[str, Any]) -> None:
    for answer in invoked["responses"].values():
        assert "Traceback" not in (answer.get("body") or "")
    assert "Traceback" not in invoked["logs"]
