"""Names and defaults shared across the project: environment variables, paths, dataset facts.

Every environment variable the code reads or sets is spelled here once, ours and AWS's alike.
Paths are relative to the project checkout (PROJECT_ROOT), whatever the working directory; the
deployed units (layer, container, training job) never use them, they get their folders from AWS.
"""

from __future__ import annotations

import os
from pathlib import Path

# Environment variables (the single place their names are spelled).
ENV_IMDB_ARCHIVE = "IMDB_ARCHIVE"
ENV_CACHE_DIR = "SENTIMENT_CACHE_DIR"
# SageMaker training-job variables.
ENV_SM_CHANNEL_TRAIN = "SM_CHANNEL_TRAIN"
ENV_SM_CHANNEL_VALIDATION = "SM_CHANNEL_VALIDATION"
ENV_SM_MODEL_DIR = "SM_MODEL_DIR"
ENV_SM_NUM_GPUS = "SM_NUM_GPUS"  # GPUs of the training instance (0 on CPU instances)
ENV_SAGEMAKER_PORT = "SAGEMAKER_BIND_TO_PORT"
CONTAINER_MODEL_DIR = "/opt/ml/model"
# Model server tuning.
ENV_SCORING_THREADS = "SENTIMENT_SCORING_THREADS"  # ONNX Runtime threads per server worker (default 1)
ENV_SERVER_WORKERS = "SENTIMENT_SERVER_WORKERS"  # worker processes (default: one per core)
ENV_SAGEMAKER_SERVER_WORKERS = "SAGEMAKER_MODEL_SERVER_WORKERS"  # SageMaker's name for the same setting
ENV_VARIANT_NAME = "SENTIMENT_VARIANT_NAME"  # production variant reported on the runtime path
ENV_INVOCATION_DEADLINE = "SENTIMENT_INVOCATION_DEADLINE_S"  # seconds an invocation must finish in (default 60)
# The prediction API (Lambda function; set by template.yaml, or by the local stack).
ENV_ENDPOINT_NAME = "ENDPOINT_NAME"  # the SageMaker endpoint to invoke
ENV_ALLOWED_ORIGIN = "ALLOWED_ORIGIN"  # the one browser origin allowed to call the API (CORS)
ENV_ENDPOINT_CONNECT_TIMEOUT = "ENDPOINT_CONNECT_TIMEOUT_S"  # seconds (default 2)
ENV_ENDPOINT_READ_TIMEOUT = "ENDPOINT_READ_TIMEOUT_S"  # seconds (default 25, and never past the function's time)
ENV_ENDPOINT_MAX_ATTEMPTS = "ENDPOINT_MAX_ATTEMPTS"  # tries, the first included (default 2)
ENV_SERVED_MODEL_DIR = "SENTIMENT_SERVED_MODEL_DIR"  # word_dict.json + config.json of the served model
# The idle-endpoint reaper (a scheduled Lambda).
ENV_IDLE_HOURS = "IDLE_HOURS"  # an endpoint without invocations for this long is deleted (default 24)
ENV_REAPER_DRY_RUN = "REAPER_DRY_RUN"  # "true": log what would be deleted, delete nothing
# AWS's own names that we read or set.
ENV_SAGEMAKER_ROLE_ARN = "SAGEMAKER_ROLE_ARN"  # the SageMaker execution role for training and endpoints
ENV_SAGEMAKER_RUNTIME_URL = "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"  # boto3: where sagemaker-runtime calls go
ENV_AWS_REGION = "AWS_DEFAULT_REGION"

# The official dataset (Maas et al., ACL 2011) and the archives of it we know to be faithful.
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_OFFICIAL_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
IMDB_KNOWN_SHA256 = frozenset(
    {
        IMDB_OFFICIAL_SHA256,
        # A repacked copy of the same reviews (no .feat / url files), as shipped in ../shared/data.
        "51c4d2e85b4483740b540474fcb81a9674e2c578c8df96776849343ce3ae5d26",
    }
)
IMDB_ARCHIVE_NAME = "aclImdb_v1.tar.gz"
IMDB_REVIEWS_PER_FOLDER = 12_500
IMDB_LABELLED_FOLDERS = ("train/pos", "train/neg", "test/pos", "test/neg")

# Encoding defaults (the classic SageMaker project's layout).
DEFAULT_SEQUENCE_LENGTH = 500
DEFAULT_VOCAB_SIZE = 5_000
DEFAULT_VALIDATION_FRACTION = 0.1
DEFAULT_SEED = 42

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MODEL_DIR = PROJECT_ROOT / "model" / "artifact"  # the committed artifact `make run` serves
DATA_DIR = PROJECT_ROOT / "data"  # prepared training files, one folder per setup (ignored by git)
DEFAULT_DATA_DIR = DATA_DIR / "default"  # what the default model trains on
RUNS_DIR = PROJECT_ROOT / "runs"  # training runs, evaluations and benchmark records (ignored by git)
BENCH_RUNS_DIR = RUNS_DIR / "benchmarks"  # where benchmarks write their records
BENCHMARKS_DIR = PROJECT_ROOT / "benchmarks"  # the published records (`make bench-publish` copies them)
STATIC_DIR = PROJECT_ROOT / "static"  # the website
TEMPLATE = PROJECT_ROOT / "template.yaml"  # the SAM template


def cache_dir() -> Path:
    """Where downloads, extracted archives and token caches live."""
    configured = os.environ.get(ENV_CACHE_DIR)
    return Path(configured).expanduser() if configured else PROJECT_ROOT / ".cache"


def served_model_dir() -> Path:
    """The served model's word dictionary and settings: in the Lambda layer, beside this package."""
    configured = os.environ.get(ENV_SERVED_MODEL_DIR)
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / "served"


def archive_candidates() -> list[Path]:
    """Local copies of the archive we look for before downloading, most specific first."""
    return [
        Path.cwd().parent / "shared" / "data" / IMDB_ARCHIVE_NAME,
        PROJECT_ROOT.parent / "shared" / "data" / IMDB_ARCHIVE_NAME,
        cache_dir() / IMDB_ARCHIVE_NAME,
    ]
