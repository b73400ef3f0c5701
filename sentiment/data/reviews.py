"""IMDB reviews: read the extracted folders, split deterministically, cache their tokens."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sentiment.core import config
from sentiment.data.corpus import reviews_to_words
from sentiment.text import preprocess
from sentiment.core.errors import DataError
from sentiment.data.storage import write_bytes

_FILE_NAME = re.compile(r"^(\d+)_(\d+)\.txt$")
LABELS = {"pos": 1, "neg": 0}
SPLIT_METHOD = "id-blocks-250"  # part of the data cache key: change it when split_validation changes


@dataclass(frozen=True)
class Review:
    """One labelled review: `source` is its path inside the dataset (train/pos/0_9.txt)."""

    source: str
    rating: int
    label: int
    text: str

    @property
    def number(self) -> int:
        """The review's id within its folder (consecutive ids are reviews of the same movie)."""
        return int(self.source.rsplit("/", 1)[-1].split("_", 1)[0])


def read_review(path: Path, source: str, label: int) -> Review:
    """Read and check one review file (name, rating, UTF-8, not empty); label -1 is unlabelled."""
    match = _FILE_NAME.match(path.name)
    if not match:
        raise DataError(f"{source}: file name is not <id>_<rating>.txt")
    rating = int(match.group(2))
    if label >= 0 and not 1 <= rating <= 10:
        raise DataError(f"{source}: rating {rating} is outside 1..10")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})") from None
    if not text.strip():
        raise DataError(f"{source}: the review is empty")
    return Review(source, rating, label, text)


def read_split(root: Path, split: str) -> list[Review]:
    """All pos and neg reviews of `split` (train or test), in a fixed order (label, id)."""
    reviews: list[Review] = []
    for name, label in LABELS.items():
        folder = root / split / name
        if not folder.is_dir():
            raise DataError(f"{folder} is missing: not an extracted IMDB dataset")
        paths = sorted(folder.glob("*.txt"), key=lambda p: (len(p.name), p.name))
        reviews.extend(read_review(p, f"{split}/{name}/{p.name}", label) for p in paths)
    return reviews


def read_unlabelled(root: Path) -> list[Review]:
    """The 50,000 unlabelled reviews of train/unsup (label -1), in a fixed order."""
    folder = root / "train" / "unsup"
    paths = sorted(folder.glob("*.txt"), key=lambda p: (len(p.name), p.name))
    return [read_review(p, f"train/unsup/{p.name}", -1) for p in paths]


def shuffled(reviews: Sequence[Review], seed: int) -> list[Review]:
    out = list(reviews)
    random.Random(seed).shuffle(out)
    return out


def split_validation(
    reviews: Sequence[Review], fraction: float, seed: int, block: int = 250
) -> tuple[list[Review], list[Review]]:
    """(train, validation): about `fraction` of each label goes to validation, in whole id blocks.

    IMDB numbers the reviews of one movie consecutively (at most 30 per movie), and its test
    set holds other movies than its training set. Taking validation as whole blocks of
    `block` consecutive ids keeps validation movies out of training (but at block edges), so
    validation scores predict test scores instead of rewarding memorised names and titles.
    """
    if not 0.0 < fraction < 1.0:
        raise DataError(f"validation fraction must be between 0 and 1, got {fraction}")
    rng = random.Random(seed)
    train: list[Review] = []
    validation: list[Review] = []
    for label in sorted(LABELS.values()):
        group = sorted((r for r in reviews if r.label == label), key=lambda r: r.number)
        blocks = [group[i : i + block] for i in range(0, len(group), block)]
        rng.shuffle(blocks)
        room = round(len(group) * fraction)
        for chunk in blocks:
            validation.extend(chunk[:room])
            train.extend(chunk[room:])
            room = max(room - len(chunk), 0)
    return shuffled(train, seed), shuffled(validation, seed)


def source_fingerprint() -> str:
    """A short hash of the text pipeline's code: a cache of tokens never outlives a change to it."""
    package = Path(preprocess.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")) + sorted(package.glob("*.txt")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cached_words(reviews: Sequence[Review], cache_key: str, version: str, workers: int = 0) -> dict[str, list[str]]:
    """The words (preprocessing `version`) of every review keyed by its source, read from the cache or
    computed and cached. `cache_key` names the archive (its checksum); the version is added here.
    """
    path = config.cache_dir() / f"tokens-{cache_key[:16]}-p{version}-{source_fingerprint()}.json.gz"
    cached: dict[str, str] = {}
    if path.is_file():
        try:
            cached = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, EOFError, ValueError):
            cached = {}  # a damaged cache is rebuilt, never trusted
    missing = [r for r in reviews if r.source not in cached]
    if missing:
        words = reviews_to_words([r.text for r in missing], version, workers, progress="preprocess")
        for review, stems in zip(missing, words, strict=True):
            if not stems and review.label >= 0:
                raise DataError(f"{review.source}: no words left after removing HTML (preprocessing {version})")
            cached[review.source] = " ".join(stems)
        write_bytes(path, gzip.compress(json.dumps(cached).encode("utf-8"), compresslevel=3))
    return {r.source: cached[r.source].split() for r in reviews}
