"""`sentiment images` (`make images`): the base images, the model image `sentiment-model:latest` and,
with `--training`, the stand-in of the AWS PyTorch training image.

The model image is `docker build -f model/Dockerfile .`, exactly as the README tells a user to run it.
The training stand-in installs torch: where PyTorch's index cannot be reached but pip knows a local copy
of the pinned wheel (its find-links), its build is pointed at a loopback index of those files
(`TORCH_INDEX_URL`, `--network host`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sentiment.containers import base_images, docker, wheel_index
from sentiment.core.config import PROJECT_ROOT, cache_dir

MODEL_IMAGE = "sentiment-model:latest"
MODEL_DOCKERFILE = PROJECT_ROOT / "model" / "Dockerfile"
TRAINING_IMAGE = "sentiment-training-standin:latest"
TRAINING_RECIPE = PROJECT_ROOT / "images" / "pytorch-training"


def local_wheel_folders() -> list[Path]:
    """The folders pip takes wheels from on this machine (PIP_FIND_LINKS and pip's find-links setting)."""
    found = os.environ.get("PIP_FIND_LINKS", "").split()
    try:
        listed = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except subprocess.TimeoutExpired:
        listed = ""
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        if name.endswith("find-links"):
            found += value.strip().strip("'\"").split()
    return [Path(f) for f in dict.fromkeys(found) if Path(f).is_dir() and any(Path(f).glob("*.whl"))]


@contextmanager
def package_index() -> Iterator[dict[str, str]]:
    """Build arguments that point an image build at local wheels (none when there are none)."""
    folders = local_wheel_folders()
    if not folders:
        yield {}
        return
    with wheel_index.serving(folders) as url:
        yield {"TORCH_INDEX_URL": url}


def build_model_image() -> float:
    """`docker build -f model/Dockerfile -t sentiment-model:latest .`; the image's size in MB."""
    docker.build(PROJECT_ROOT, MODEL_IMAGE, MODEL_DOCKERFILE)
    return docker.image_size_mb(MODEL_IMAGE)


def build_training_image() -> float:
    """The stand-in of the AWS PyTorch training image (images/pytorch-training), with the local package
    index when there is one; its size in MB."""
    with package_index() as build_args:
        docker.build(
            TRAINING_RECIPE, TRAINING_IMAGE, TRAINING_RECIPE / "Dockerfile", build_args, host_network=bool(build_args)
        )
    return docker.image_size_mb(TRAINING_IMAGE)


def build_all(training: bool = False) -> dict[str, float]:
    """Base images (pulled or stand-ins), the model image and, with `training`, the training stand-in."""
    base_images.ensure_all()
    sizes = {MODEL_IMAGE: build_model_image()}
    print(f"model image {MODEL_IMAGE}: {sizes[MODEL_IMAGE]:,.0f} MB", flush=True)
    if training:
        sizes[TRAINING_IMAGE] = build_training_image()
        print(f"training image {TRAINING_IMAGE}: {sizes[TRAINING_IMAGE]:,.0f} MB", flush=True)
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--training", action="store_true", help="also the stand-in of the AWS PyTorch training image")


def run(args: argparse.Namespace) -> int:
    with docker.daemon(cache_dir() / "docker"):
        build_all(training=args.training)
    return 0
