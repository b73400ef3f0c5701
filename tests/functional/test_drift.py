"""`sentiment drift` on capture files the tests write in SageMaker Data Capture's format: traffic like
the training data, drifted traffic, and captures that are empty, malformed, foreign or missing."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import numpy as np
import pytest
from moto import mock_aws

from sentiment.cli import main
from sentiment.scoring.graphs import GraphModel
from sentiment.serving.handlers import input_fn, output_fn, predict_fn
from tests.synthetic import encoded_set, write_prepared

JSON = "application/json"


def capture_line(request: str, answer: bytes | None, content_type: str = JSON, base64_input: bool = False) -> str:
    """One event as SageMaker Data Capture writes it (JSON content types inline, others base64)."""
    data = base64.b64encode(request.encode()).decode() if base64_input else request
    captured: dict[str, object] = {
        "endpointInput": {
            "observedContentType": content_type,
            "mode": "INPUT",
            "data": data,
            "encoding": "BASE64" if base64_input else "JSON",
        }
    }
    if answer is not None:
        captured["endpointOutput"] = {
            "observedContentType": JSON,
            "mode": "OUTPUT",
            "data": answer.decode(),
            "encoding": "JSON",
        }
    meta = {"eventId": "e", "inferenceTime": "2026-11-22T10:00:00Z"}
    return json.dumps({"captureData": captured, "eventMetadata": meta, "eventVersion": "0"})


def write_capture(folder: Path, rows: list[list[int]], model_dir: Path, per_request: int = 8) -> Path:
    """Requests of `per_request` rows as the Lambda sends them, answered by the real model handlers,
    in an hourly folder as SageMaker lays them out."""
    model = GraphModel.load(model_dir)
    out = folder / "sentiment-endpoint" / "AllTraffic" / "2026" / "11" / "22" / "10"
    out.mkdir(parents=True)
    lines = []
    for start in range(0, len(rows), per_request):
        chunk = rows[start : start + per_request]
        request = json.dumps({"instances": [{"length": len(ids), "ids": ids} for ids in chunk]})
        answer, _ = output_fn(predict_fn(input_fn(request, JSON), model), JSON)
        lines.append(capture_line(request, answer))
    (out / "00-00-000-capture.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def like_training(n: int, seed: int) -> list[list[int]]:
    data = encoded_set(n, seed)
    return [row[:length].tolist() for row, length in zip(data.ids, data.lengths, strict=True)]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_prepared(tmp_path_factory.mktemp("drift-data"), n_train=256, n_validation=1000)


def drift(capture: str | Path, model: Path, data: Path, output: Path) -> int:
    return main(["drift", str(capture), "--model-dir", str(model), "--data", str(data), "--output", str(output)])


def test_traffic_like_the_training_data_is_stable(
    tiny_model_dir: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = write_capture(tmp_path / "capture", like_training(400, seed=7), tiny_model_dir)
    assert drift(capture, tiny_model_dir, prepared, tmp_path / "report") == 0
    out = capsys.readouterr().out
    assert "50 captured requests (400 reviews) in 1 files" in out
    for signal in ("review length", "unknown words", "infrequent words", "scores", "positive rate"):
        assert f"STABLE {signal}:" in out
    assert "verdict: STABLE" in out
    assert (tmp_path / "report" / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_drifted_traffic_is_called_drift(
    tiny_model_dir: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Short reviews full of words the model does not know, almost all with positive cue words."""
    rng = np.random.default_rng(3)
    rows = [[int(rng.integers(2, 12))] + [1] * int(rng.integers(1, 4)) for _ in range(300)]
    capture = write_capture(tmp_path / "capture", rows, tiny_model_dir)
    assert drift(capture, tiny_model_dir, prepared, tmp_path / "report") == 0
    out = capsys.readouterr().out
    assert "DRIFT  review length:" in out
    assert "DRIFT  unknown words:" in out
    assert "DRIFT  positive rate:" in out
    assert "verdict: DRIFT" in out


def test_csv_requests_base64_encoded_and_no_captured_answers(
    tiny_model_dir: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = like_training(50, seed=9)
    body = "".join(f"{len(ids)},{','.join(map(str, ids))}\n" for ids in rows)
    (tmp_path / "c.jsonl").write_text(capture_line(body, None, "text/csv", base64_input=True) + "\n")
    assert drift(tmp_path / "c.jsonl", tiny_model_dir, prepared, tmp_path / "report") == 0
    out = capsys.readouterr().out
    assert "1 captured requests (50 reviews)" in out
    assert "no captured answers" in out
    assert "scores:" not in out and "positive rate" not in out


def test_captures_in_s3(
    tiny_model_dir: Path,
    prepared: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    credentials = {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    local = write_capture(tmp_path / "capture", like_training(80, seed=11), tiny_model_dir)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="captures")
        for path in local.rglob("*.jsonl"):
            s3.upload_file(str(path), "captures", f"datacapture/{path.relative_to(local)}")
        s3.put_object(Bucket="captures", Key="datacapture/notes.txt", Body=b"not a capture")
        assert drift("s3://captures/datacapture", tiny_model_dir, prepared, tmp_path / "report") == 0
    assert "10 captured requests (80 reviews) in 1 files under s3://captures/datacapture" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no captured requests under"),
        ("\n\n", "no captured requests under"),
        ("{not json\n", "not a SageMaker Data Capture line of this endpoint"),
        ('{"name": "a foreign JSON lines file"}\n', "not a SageMaker Data Capture line of this endpoint"),
        ("[1, 2, 3]\n", "not a SageMaker Data Capture line of this endpoint"),
        ("[" * 100_000 + "\n", "not a SageMaker Data Capture line of this endpoint"),
        (capture_line('{"instances": "none"}', None) + "\n", "but 1 the endpoint refused"),
        (capture_line('{"instances": [{"length": 9, "ids": [2, 3]}]}', None) + "\n", "but 1 the endpoint refused"),
        (capture_line("2,3,4\n", None, "text/plain") + "\n", "but 1 the endpoint refused"),
        (
            capture_line('{"instances": [{"length": 1, "ids": [2]}]}', b'{"predictions": [{"score": 7}]}') + "\n",
            "not a SageMaker",
        ),
    ],
)
def test_bad_captures_are_one_line_and_exit_2(
    tiny_model_dir: Path,
    prepared: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    (tmp_path / "capture").mkdir()
    (tmp_path / "capture" / "bad.jsonl").write_text(content)
    assert drift(tmp_path / "capture", tiny_model_dir, prepared, tmp_path / "report") == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing", "no capture location"),
        ("empty-folder", "no captured requests under"),
        ("binary", "not a SageMaker Data Capture line"),
    ],
)
def test_locations_without_captures_exit_2(
    tiny_model_dir: Path,
    prepared: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    message: str,
) -> None:
    location = tmp_path / where
    if where == "empty-folder":
        location.mkdir()
        (location / "readme.txt").write_text("no jsonl here")
    elif where == "binary":
        location.write_bytes(bytes(range(256)) * 4)
    assert drift(location, tiny_model_dir, prepared, tmp_path / "report") == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_requests_the_served_model_refuses_are_not_its_traffic(
    tiny_model_dir: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Parsed with the served model's own limits: an id past its vocabulary, a row past its length."""
    folder = write_capture(tmp_path / "capture", like_training(80, seed=3), tiny_model_dir)
    refused = [
        capture_line('{"instances": [{"length": 1, "ids": [2000000000]}]}', None),
        capture_line(json.dumps({"instances": [{"length": 9000, "ids": [2] * 9000}]}), None),
    ]
    hour = next(folder.rglob("*.jsonl"))
    hour.write_text(hour.read_text() + "\n".join(refused) + "\n")
    assert drift(folder, tiny_model_dir, prepared, tmp_path / "report") == 0
    out = capsys.readouterr().out
    assert "(2 captured requests the endpoint refused are not counted)" in out
    assert "80 reviews" in out


def test_a_capture_that_is_a_device_is_one_line(
    tiny_model_dir: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "capture"
    folder.mkdir()
    (folder / "zero.jsonl").symlink_to("/dev/zero")
    assert drift(folder, tiny_model_dir, prepared, tmp_path / "report") == 2
    err = capsys.readouterr().err.strip()
    assert "is not a regular file" in err and "\n" not in err
