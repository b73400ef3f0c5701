"""Shared fixtures: tiny IMDB-shaped archives built by the tests themselves, an isolated cache."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sentiment.core import config

SHARED_ARCHIVE = config.PROJECT_ROOT.parent / "shared" / "data" / config.IMDB_ARCHIVE_NAME

POSITIVE = [
    "A wonderful, moving film.<br /><br />The acting is superb and the story is great.",
    "I loved it! Brilliant direction, great cast, and a beautiful score.",
    "One of the best movies I have seen this year. Excellent and touching.",
    "Great fun from start to finish; the performances are wonderful.",
]
NEGATIVE = [
    "A terrible, boring film.<br /><br />The acting is awful and the story is dull.",
    "I hated it. Bad direction, poor cast and a horrible script.",
    "One of the worst movies I have seen. Not good at all, a waste of time.",
    "Dull and boring from start to finish; the performances are awful.",
]


def add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_imdb_archive(
    path: Path,
    per_folder: int = 4,
    extra: Callable[[tarfile.TarFile], None] | None = None,
    replace: dict[str, bytes] | None = None,
) -> Path:
    """An archive with the official layout and `per_folder` reviews in each labelled folder
    (`replace` swaps the bytes of named members, e.g. for a broken review)."""
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label, texts, ratings in (("pos", POSITIVE, (7, 8, 9, 10)), ("neg", NEGATIVE, (1, 2, 3, 4))):
                for i in range(per_folder):
                    name = f"aclImdb/{split}/{label}/{i}_{ratings[i % 4]}.txt"
                    text = f"{texts[i % len(texts)]} ({split} review {i})".encode()
                    add_file(tar, name, (replace or {}).get(name, text))
        add_file(tar, "aclImdb/train/unsup/0_0.txt", b"An unlabelled review.")
        if extra:
            extra(tar)
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder (downloads, extractions, token caches) for one test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(config.ENV_CACHE_DIR, str(folder))
    monkeypatch.delenv(config.ENV_IMDB_ARCHIVE, raising=False)
    return folder


@pytest.fixture
def small_archive(tmp_path: Path) -> Path:
    return write_imdb_archive(tmp_path / "small.tar.gz")


def shared_archive_or_skip() -> Path:
    if not SHARED_ARCHIVE.is_file():
        pytest.skip(f"the IMDB archive is not at {SHARED_ARCHIVE}")
    return SHARED_ARCHIVE


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small default-architecture model trained on the synthetic task (a few seconds)."""
    from sentiment.model import artifact
    from sentiment.model.network import named_config
    from sentiment.training.train import TrainConfig
    from tests.synthetic import VOCAB, WIDTH, fit, word_dict

    network = named_config("default", vocab_size=VOCAB, embedding_dim=16, hidden_dim=16, ngram_buckets=101)
    settings = TrainConfig(epochs=3, batch_size=32, learning_rate=1e-2, patience=5, threads=1)
    from sentiment.model.export import export_graphs
    from tests.synthetic import encoded_set

    result = fit(network, settings, 512, 128)
    folder = tmp_path_factory.mktemp("tiny-model")
    artifact.save(artifact.Artifact(result.model, word_dict(), WIDTH, result.temperature, {"finished": "test"}), folder)
    validation = encoded_set(128, 2)
    export_graphs(folder, validation.ids, validation.lengths, "synthetic validation")  # what the server runs
    return folder
