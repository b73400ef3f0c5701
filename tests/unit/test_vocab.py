import json

import numpy as np
import pytest

from sentiment.core.errors import ConfigError, DataError
from sentiment.scoring.encoding import encode, encode_many
from sentiment.text.vocab import PAD_ID, UNKNOWN_ID, WordDict, build, coverage

DOCS = [["good", "film", "good"], ["bad", "film"], ["good", "plot"]]


def test_most_frequent_first_after_the_reserved_ids() -> None:
    wd = build(DOCS, size=5)
    assert wd.words == ("good", "film", "bad")  # ties (bad, plot) broken alphabetically
    assert wd.size == 5
    assert (wd.id_of("good"), wd.id_of("film"), wd.id_of("bad")) == (2, 3, 4)
    assert wd.id_of("plot") == UNKNOWN_ID
    assert (PAD_ID, UNKNOWN_ID) == (0, 1)


def test_encode_pads_on_the_right_and_reports_length() -> None:
    wd = build(DOCS, size=10)
    encoded = encode(wd, ["good", "film", "zzz"], length=6)
    assert encoded.ids.tolist() == [2, 3, UNKNOWN_ID, 0, 0, 0]
    assert encoded.ids.dtype == np.int32
    assert (encoded.length, encoded.truncated) == (3, False)


def test_encode_truncates_to_the_first_words() -> None:
    wd = build(DOCS, size=10)
    encoded = encode(wd, ["good"] * 7 + ["film"], length=5)
    assert encoded.ids.tolist() == [2] * 5
    assert (encoded.length, encoded.truncated) == (5, True)


def test_encode_many_matches_encode() -> None:
    wd = build(DOCS, size=10)
    matrix, lengths = encode_many(wd, DOCS, length=4)
    for row, doc in enumerate(DOCS):
        assert matrix[row].tolist() == encode(wd, doc, 4).ids.tolist()
        assert lengths[row] == encode(wd, doc, 4).length


def test_json_round_trip_and_stable_hash() -> None:
    wd = build(DOCS, size=10)
    again = WordDict.from_json(wd.to_json())
    assert again == wd and again.sha256 == wd.sha256
    assert build(list(reversed(DOCS)), size=10).sha256 == wd.sha256
    assert build(DOCS, size=4).sha256 != wd.sha256
    assert len(wd.sha256) == 64


def test_save_and_load(tmp_path) -> None:
    wd = build(DOCS, size=10)
    wd.save(tmp_path / "word_dict.json")
    assert WordDict.load(tmp_path / "word_dict.json") == wd


def test_edited_dictionary_is_refused() -> None:
    data = json.loads(build(DOCS, size=10).to_json())
    data["words"][0], data["words"][1] = data["words"][1], data["words"][0]
    with pytest.raises(DataError, match="hash does not match"):
        WordDict.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "text", ["not json", "[]", '{"format": "other"}', '{"format": "sentiment-word-dict/1", "words": [1]}']
)
def test_malformed_dictionary_is_refused(text: str) -> None:
    with pytest.raises(DataError):
        WordDict.from_json(text)


def test_missing_dictionary_file(tmp_path) -> None:
    with pytest.raises(DataError, match="not found"):
        WordDict.load(tmp_path / "nope.json")


def test_bad_sizes() -> None:
    with pytest.raises(ConfigError):
        build(DOCS, size=2)
    with pytest.raises(ConfigError):
        encode(build(DOCS, size=5), ["good"], length=0)


def test_coverage() -> None:
    assert coverage(build(DOCS, size=3), DOCS) == pytest.approx(3 / 7)
