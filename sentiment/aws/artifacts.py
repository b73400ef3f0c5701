"""Put training files and model artifacts in S3: the data folder as prepared, and model.tar.gz."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import boto3
from tqdm import tqdm

from sentiment.aws.session import AwsError, aws_errors
from sentiment.core.errors import DataError
from sentiment.data.storage import split_s3
from sentiment.scoring.manifest import read_manifest

Say = Callable[[str], None]
DATA_FILES = (
    "train.csv",
    "validation.csv",
    "test.csv",
    "ratings.json",
    "word_dict.json",
    "manifest.json",
    "embeddings.npy",
    "train_sentences.csv",  # sentiment.training.encoded's SENTENCES_FILE, UNLABELLED_FILE, SHORT_TEXTS_FILE
    "unlabelled.csv",
    "test_first_sentences.jsonl",
)
MODEL_FILES = ("model.pt", "config.json", "word_dict.json", "metrics.json")


def upload_data(data_dir: Path, s3_prefix: str, aws: boto3.Session, say: Say = print) -> list[str]:
    """Upload the files `sentiment data` prepared (what the training job's channels read)."""
    if not s3_prefix.startswith("s3://"):
        raise AwsError(f"{s3_prefix!r}: expected s3://bucket/prefix")
    present = [data_dir / name for name in DATA_FILES if (data_dir / name).is_file()]
    if not any(p.name == "train.csv" for p in present):
        raise AwsError(f"{data_dir} has no train.csv: run `make data` (or `sentiment data --output {data_dir}`)")
    bucket, prefix = split_s3(s3_prefix.rstrip("/") + "/")
    s3 = aws.client("s3")
    uris = []
    for path in tqdm(present, desc="uploading training files", unit="file"):
        key = f"{prefix}{path.name}"
        with aws_errors(f"uploading {path.name} to s3://{bucket}/{key}"):
            s3.upload_file(str(path), bucket, key)
        uris.append(f"s3://{bucket}/{key}")
    say(f"uploaded {len(uris)} files to s3://{bucket}/{prefix}")
    return uris


def model_tarball(model_dir: Path) -> bytes:
    """model.tar.gz as SageMaker expects it: the artifact's files at the archive's root, the exported
    graphs the model server runs included (an artifact without them is refused here, before any upload)."""
    missing = [name for name in MODEL_FILES[:3] if not (model_dir / name).is_file()]
    if missing:
        raise AwsError(f"{model_dir} is not a model artifact (missing {', '.join(missing)})")
    try:
        graphs = read_manifest(model_dir).graph_paths()
    except DataError as exc:
        raise AwsError(str(exc)) from None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in [model_dir / name for name in MODEL_FILES] + sorted(graphs.values()):
            if path.is_file():
                tar.add(path, arcname=path.name)
    return buffer.getvalue()


def upload_model(model_dir: Path, s3_uri: str, aws: boto3.Session, say: Say = print) -> str:
    """Package a local artifact (e.g. the shipped model/artifact) as model.tar.gz in S3."""
    if not s3_uri.startswith("s3://") or not s3_uri.endswith(".tar.gz"):
        raise AwsError(f"{s3_uri!r}: expected s3://bucket/path/model.tar.gz")
    bucket, key = split_s3(s3_uri)
    body = model_tarball(model_dir)
    with aws_errors(f"uploading {s3_uri}"):
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    say(f"uploaded {model_dir} as {s3_uri} ({len(body) / 1e6:.1f} MB)")
    return s3_uri
