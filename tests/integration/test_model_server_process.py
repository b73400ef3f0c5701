"""The model server as real processes on loopback: `sentiment serve` (gunicorn) and the container's `serve`."""

import json
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.processes import free_port, running, script, sentiment_command


def _client(port: int):  # type: ignore[no-untyped-def]
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def test_sentiment_serve_answers_boto3(tiny_model_dir: Path) -> None:
    port = free_port()
    command = sentiment_command("serve", "--model-dir", str(tiny_model_dir), "--port", str(port), "--workers", "2")
    with running(command, f"http://127.0.0.1:{port}/ping"):
        client = _client(port)
        rows = [{"length": 3, "ids": [2, 4, 6]}, {"length": 3, "ids": [12, 14, 16]}]
        response = client.invoke_endpoint(
            EndpointName="local", ContentType="application/json", Body=json.dumps({"instances": rows, "explain": True})
        )
        predictions = json.loads(response["Body"].read())["predictions"]
        assert predictions[0]["score"] > 0.5 > predictions[1]["score"]
        assert len(predictions[0]["attributions"]) == 3
        with pytest.raises(client.exceptions.ModelError):
            client.invoke_endpoint(EndpointName="local", ContentType="text/plain", Body=b"hello")


def test_a_body_past_5_mib_on_the_runtime_path_is_a_model_error_boto3_can_read(tiny_model_dir: Path) -> None:
    port = free_port()
    command = sentiment_command("serve", "--model-dir", str(tiny_model_dir), "--port", str(port), "--workers", "1")
    with running(command, f"http://127.0.0.1:{port}/ping"):
        client = _client(port)
        with pytest.raises(client.exceptions.ModelError) as refused:
            client.invoke_endpoint(EndpointName="local", ContentType="text/csv", Body=b"1,2\n" * 1_400_000)
    assert refused.value.response["OriginalStatusCode"] == 413
    assert json.loads(refused.value.response["OriginalMessage"])["error"]["code"] == "payload_too_large"


def test_busy_port_gets_a_clear_message(tiny_model_dir: Path) -> None:
    port = free_port()
    command = sentiment_command("serve", "--model-dir", str(tiny_model_dir), "--port", str(port), "--workers", "1")
    with running(command, f"http://127.0.0.1:{port}/ping"):
        second = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in second.stderr and "Traceback" not in second.stderr


def test_bad_model_dir_gets_a_clear_message(tmp_path: Path) -> None:
    done = subprocess.run(
        sentiment_command("serve", "--model-dir", str(tmp_path), "--port", str(free_port())),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "missing config.json" in done.stderr and "Traceback" not in done.stderr


def test_container_entry_point_serves_sagemaker_contract(tiny_model_dir: Path) -> None:
    """What SageMaker runs (`serve`, model in SM_MODEL_DIR / /opt/ml/model, port 8080), without Docker."""
    port = free_port()
    env = {"SM_MODEL_DIR": str(tiny_model_dir), "SAGEMAKER_BIND_TO_PORT": str(port)}
    with running(script("model/serve"), f"http://127.0.0.1:{port}/ping", env=env):
        response = _client(port).invoke_endpoint(EndpointName="x", ContentType="text/csv", Body=b"2,2,3\n")
        assert json.loads(response["Body"].read())["predictions"][0]["score"] > 0.5
