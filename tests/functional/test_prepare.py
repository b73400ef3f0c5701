"""`sentiment data` end to end on a tiny archive: local folder, S3 (moto), cache, CLI errors."""

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from sentiment.cli import main
from sentiment.core.errors import DataError
from sentiment.data.prepare import PrepareOptions, format_summary, load_word_dict, prepare
from sentiment.training.encoded import SENTENCES_FILE, SHORT_TEXTS_FILE, UNLABELLED_FILE, read_csv
from tests.conftest import write_imdb_archive


def _options(archive: Path, output: str, **kw: object) -> PrepareOptions:
    base = {
        "archive": str(archive),
        "output": output,
        "vocab_size": 30,
        "sequence_length": 12,
        "validation_fraction": 0.25,
        "reviews_per_folder": 4,
        "workers": 1,
    }
    return PrepareOptions(**{**base, **kw})  # type: ignore[arg-type]


def test_writes_training_files_and_dictionary(small_archive: Path, cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "prepared"
    summary = prepare(_options(small_archive, str(out)))
    assert summary.counts["train"] == {"total": 6, "positive": 3, "negative": 3}
    assert summary.counts["validation"] == {"total": 2, "positive": 1, "negative": 1}
    assert summary.counts["test"] == {"total": 8, "positive": 4, "negative": 4}
    word_dict = load_word_dict(str(out))
    assert word_dict.size == 30 and summary.word_dict_sha256 == word_dict.sha256
    for split, n in (("train", 6), ("validation", 2), ("test", 8)):
        rows = read_csv(out / f"{split}.csv", vocab_size=word_dict.size)
        assert len(rows) == n and rows.ids.shape[1] == 12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["key"]["sequence_length"] == 12
    assert not list(out.glob(".*.tmp"))


def test_short_texts_crops_and_unlabelled_reviews(small_archive: Path, cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "prepared"
    summary = prepare(_options(small_archive, str(out), sentences=True, unlabelled=True))
    word_dict = load_word_dict(str(out))
    crops = read_csv(out / SENTENCES_FILE, vocab_size=word_dict.size)
    train = read_csv(out / "train.csv")
    assert len(crops) == len(train) and sorted(crops.labels) == sorted(train.labels)  # one per real review
    assert (crops.lengths <= train.lengths.max()).all()
    unlabelled = read_csv(out / UNLABELLED_FILE, vocab_size=word_dict.size, unlabelled=True)
    assert len(unlabelled) == 1 and (unlabelled.labels == -1).all()
    with pytest.raises(DataError, match="label must be 0 or 1"):
        read_csv(out / UNLABELLED_FILE)
    lines = [json.loads(line) for line in (out / SHORT_TEXTS_FILE).read_text().splitlines()]
    assert len(lines) == 8 and {line["label"] for line in lines} == {0, 1}  # one per test review
    assert all(line["text"] and "(test review" not in line["text"] for line in lines)  # the first sentence only
    assert summary.extra == {"sentence_crops": 6, "unlabelled": 1, "short_texts": 8}
    assert "6 sentence crops of training reviews, 1 unlabelled reviews" in format_summary(summary)


def test_a_run_without_crops_or_unlabelled_reviews_leaves_none_of_an_earlier_runs(
    small_archive: Path, cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "prepared"
    prepare(_options(small_archive, str(out), sentences=True, unlabelled=True))
    assert (out / SENTENCES_FILE).is_file() and (out / UNLABELLED_FILE).is_file()
    prepare(_options(small_archive, str(out), sentences=False, unlabelled=False, vocab_size=20))
    assert not (out / SENTENCES_FILE).exists() and not (out / UNLABELLED_FILE).exists()  # old ids, trained on


def test_second_run_is_served_from_the_cache(small_archive: Path, cache: Path, tmp_path: Path) -> None:
    options = _options(small_archive, str(tmp_path / "out"))
    first = prepare(options)
    second = prepare(options)
    assert not first.cached and second.cached
    assert second.word_dict_sha256 == first.word_dict_sha256
    changed = prepare(_options(small_archive, str(tmp_path / "out"), vocab_size=20))
    assert not changed.cached and changed.vocab_size == 20


def test_same_code_writes_to_s3(small_archive: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="training-bucket")
        summary = prepare(_options(small_archive, "s3://training-bucket/imdb"))
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="training-bucket")["Contents"]}
        assert keys == {
            f"imdb/{n}"
            for n in ("train.csv", "validation.csv", "test.csv", "ratings.json", "word_dict.json", "manifest.json")
        } | {f"imdb/{SHORT_TEXTS_FILE}"}
        body = s3.get_object(Bucket="training-bucket", Key="imdb/train.csv")["Body"].read().decode()
        assert len(body.splitlines()) == 6 and all(len(line.split(",")) == 14 for line in body.splitlines())
        assert prepare(_options(small_archive, "s3://training-bucket/imdb")).cached
        assert summary.files["train"] == "s3://training-bucket/imdb/train.csv"


def test_cli_refuses_an_incomplete_archive(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = write_imdb_archive(tmp_path / "a.tar.gz", per_folder=4)
    code = main(["data", "--archive", str(archive), "--output", str(tmp_path / "o"), "--vocab-size", "40"])
    # the real archive layout is required by the CLI: a 4-review archive is refused clearly
    assert code == 2
    err = capsys.readouterr().err
    assert "holds 4 reviews, expected 12,500" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "--vocab-size", "many"], "expected a whole number"),
        (["data", "--vocab-size", "0"], "at least 1"),
        (["data", "--validation-fraction", "2"], "strictly between 0 and 1"),
        (["data", "--colour", "red"], "unrecognized arguments"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_options_get_one_clear_message(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_archive_is_one_clear_message(tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "--archive", str(tmp_path / "missing.tar.gz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sentiment data: error: IMDB archive not found") and "Traceback" not in err


def test_word2vec_embeddings_fit_the_dictionary(small_archive: Path, cache: Path, tmp_path: Path) -> None:
    from sentiment.training.embeddings import load

    out = tmp_path / "with-vectors"
    summary = prepare(_options(small_archive, str(out), embedding_dim=8, word2vec_epochs=2))
    vectors = load(summary.files["embeddings"], summary.vocab_size)
    assert vectors.shape == (summary.vocab_size, 8)
    assert not vectors[0].any() and vectors[2:].any()


@pytest.mark.parametrize(
    ("member", "data", "message"),
    [
        ("aclImdb/train/pos/3_10.txt", b"<br /><br /><p></p>", "train/pos/3_10.txt: no words left after removing HTML"),
        ("aclImdb/test/neg/2_3.txt", b"\xff\xfebad", "test/neg/2_3.txt: not UTF-8 text"),
        ("aclImdb/train/neg/1_2.txt", b"  \n ", "train/neg/1_2.txt: the review is empty"),
    ],
)
def test_bad_review_in_the_archive_is_named_and_nothing_is_written(
    tmp_path: Path, cache: Path, member: str, data: bytes, message: str
) -> None:
    from sentiment.core.errors import DataError

    archive = write_imdb_archive(tmp_path / "bad.tar.gz", per_folder=4, replace={member: data})
    out = tmp_path / "out"
    with pytest.raises(DataError, match=message):
        prepare(_options(archive, str(out)))
    assert not out.exists() or not any(out.iterdir())
