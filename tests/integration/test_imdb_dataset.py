"""The real dataset (../shared/data/aclImdb_v1.tar.gz): counts, balance, no leakage, summary."""

from pathlib import Path

import pytest

from sentiment.cli import main
from sentiment.data import archive
from sentiment.data.prepare import load_word_dict
from sentiment.data.reviews import read_split, split_validation
from sentiment.training.encoded import read_csv
from tests.conftest import shared_archive_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.dataset]


@pytest.fixture(scope="module")
def root() -> Path:
    return archive.prepare_root(shared_archive_or_skip())[0]


def test_counts_and_balance(root: Path) -> None:
    for split in ("train", "test"):
        reviews = read_split(root, split)
        assert len(reviews) == 25_000
        assert sum(r.label for r in reviews) == 12_500
        assert all((r.rating >= 7) == (r.label == 1) for r in reviews)


def test_no_test_review_in_train_or_validation(root: Path) -> None:
    train, validation = split_validation(read_split(root, "train"), 0.1, seed=42)
    test_sources = {r.source for r in read_split(root, "test")}
    assert len(train) == 22_500 and len(validation) == 2_500
    assert test_sources.isdisjoint(r.source for r in train + validation)
    assert {r.source for r in train}.isdisjoint(r.source for r in validation)


def test_data_command_writes_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "prepared"
    assert main(["data", "--setup", "classic", "--archive", str(shared_archive_or_skip()), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        "| train      | 22,500" in printed and "| test       | 25,000" in printed and "vocabulary: 5,000 ids" in printed
    )
    word_dict = load_word_dict(str(out))
    test = read_csv(out / "test.csv", vocab_size=word_dict.size)
    assert len(test) == 25_000 and test.ids.shape[1] == 500 and test.labels.sum() == 12_500
