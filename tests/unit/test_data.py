from pathlib import Path

import pytest

from sentiment.core.errors import DataError
from sentiment.data.reviews import Review, read_review, read_split, split_validation


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_rating_and_label_come_from_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "123_9.txt", b"Great film")
    assert read_review(path, "train/pos/123_9.txt", 1) == Review("train/pos/123_9.txt", 9, 1, "Great film")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("12_9.txt", b"\xff\xfe bad bytes", "not UTF-8 text \\(byte 0xff at offset 0\\)"),
        ("12_9.txt", b"   \n", "the review is empty"),
        ("review.txt", b"fine", "file name is not <id>_<rating>.txt"),
        ("12_11.txt", b"fine", "rating 11 is outside"),
    ],
)
def test_bad_review_files_are_named(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(DataError, match=f"train/pos/{name}: {message}"):
        read_review(path, f"train/pos/{name}", 1)


def test_read_split_orders_by_label_then_id(tmp_path: Path) -> None:
    for name in ("10_8.txt", "2_9.txt"):
        _write(tmp_path / "train" / "pos", name, b"good")
    _write(tmp_path / "train" / "neg", "1_1.txt", b"bad")
    sources = [r.source for r in read_split(tmp_path, "train")]
    assert sources == ["train/pos/2_9.txt", "train/pos/10_8.txt", "train/neg/1_1.txt"]


def test_missing_split_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing"):
        read_split(tmp_path, "test")


def _reviews(n: int) -> list[Review]:
    return [Review(f"train/{'pos' if i % 2 else 'neg'}/{i}_5.txt", 5, i % 2, f"text {i}") for i in range(n)]


def test_validation_split_is_stratified_disjoint_and_seeded() -> None:
    reviews = _reviews(200)
    train, validation = split_validation(reviews, 0.1, seed=7)
    assert len(validation) == 20 and sum(r.label for r in validation) == 10
    assert {r.source for r in train}.isdisjoint(r.source for r in validation)
    assert len(train) + len(validation) == 200
    assert split_validation(reviews, 0.1, seed=7) == (train, validation)
    assert split_validation(reviews, 0.1, seed=8) != (train, validation)


def test_bad_validation_fraction() -> None:
    with pytest.raises(DataError):
        split_validation(_reviews(10), 1.5, seed=1)
