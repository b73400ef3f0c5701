"""The model server in-process over real HTTP: /ping, /invocations, the SageMaker runtime path via boto3."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from sentiment.serving.app import ModelServer
from tests.httpserver import serving


@pytest.fixture(scope="module")
def url(tiny_model_dir: Path) -> Iterator[str]:
    with serving(ModelServer.from_model_dir(str(tiny_model_dir))) as base:
        yield base


def request(
    url: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url + path, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def runtime_client(url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def test_ping(url: str) -> None:
    status, _, body = request(url, "/ping")
    assert status == 200 and json.loads(body)["status"] == "healthy"


def test_invocations_json_and_csv(url: str) -> None:
    body = json.dumps({"instances": [{"length": 2, "ids": [2, 3, 0]}]}).encode()
    status, headers, answer = request(url, "/invocations", body, {"Content-Type": "application/json"})
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert 0 <= json.loads(answer)["predictions"][0]["score"] <= 1
    status, headers, answer = request(
        url, "/invocations", b"2,2,3,0\n", {"Content-Type": "text/csv", "Accept": "text/csv"}
    )
    assert status == 200 and headers["Content-Type"] == "text/csv" and 0 <= float(answer) <= 1


@pytest.mark.parametrize(
    ("path", "body", "headers", "method", "status"),
    [
        ("/invocations", b"2,2,3", {"Content-Type": "text/plain"}, "POST", 415),
        ("/invocations", b"{", {"Content-Type": "application/json"}, "POST", 400),
        ("/invocations", None, {}, "GET", 405),
        ("/nowhere", None, {}, "GET", 404),
        ("/ping", b"x", {}, "POST", 405),
    ],
)
def test_errors_are_json_with_their_status(
    url: str, path: str, body: bytes | None, headers: dict[str, str], method: str, status: int
) -> None:
    got, response_headers, answer = request(url, path, body, headers, method)
    assert got == status
    assert response_headers["Content-Type"] == "application/json"
    error = json.loads(answer)["error"]
    assert error["code"] and error["message"] and "Traceback" not in error["message"]


def test_oversized_body_is_refused_before_reading(url: str) -> None:
    status, _, answer = request(url, "/invocations", b"1,2\n" * 1_400_000, {"Content-Type": "text/csv"})
    assert status == 413 and json.loads(answer)["error"]["code"] == "payload_too_large"


def test_boto3_invoke_endpoint_works_unchanged(url: str) -> None:
    client = runtime_client(url)
    response = client.invoke_endpoint(
        EndpointName="sentiment-endpoint",
        ContentType="text/csv",
        Accept="application/json",
        Body=b"3,2,4,6\n3,12,14,16\n",
    )
    scores = [p["score"] for p in json.loads(response["Body"].read())["predictions"]]
    assert scores[0] > 0.5 > scores[1]
    assert response["ContentType"] == "application/json"
    assert response["InvokedProductionVariant"] == "AllTraffic"


def test_boto3_sees_container_errors_as_model_error(url: str) -> None:
    client = runtime_client(url)
    with pytest.raises(client.exceptions.ModelError) as caught:
        client.invoke_endpoint(EndpointName="sentiment-endpoint", ContentType="text/csv", Body=b"9,2,3\n")
    error = caught.value.response
    assert error["OriginalStatusCode"] == 400
    assert json.loads(error["OriginalMessage"])["error"]["code"] == "bad_length"
