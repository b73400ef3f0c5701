from pathlib import Path

import numpy as np
import pytest

from sentiment.core.errors import DataError
from sentiment.training.encoded import EncodedSet, read_csv, to_csv


def test_round_trip(tmp_path: Path) -> None:
    rows = EncodedSet(np.array([1, 0]), np.array([2, 3]), np.array([[5, 6, 0, 0], [7, 1, 9, 0]]))
    assert to_csv(rows) == b"1,2,5,6,0,0\n0,3,7,1,9,0\n"
    (tmp_path / "t.csv").write_bytes(to_csv(rows))
    again = read_csv(tmp_path / "t.csv", vocab_size=10)
    for a, b in ((again.labels, rows.labels), (again.lengths, rows.lengths), (again.ids, rows.ids)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2,1,5,0\n", "line 1: label must be 0 or 1"),
        ("1,1,5,0\n1,3,5,0\n", "line 2: length must be 1..2"),
        ("1,1,5,0\n0,1,-5,0\n", "line 2: ids must not be negative"),
        ("1,1,50,0\n", "line 1: ids must be below the vocabulary size 10"),
        ("1,1,5,4\n", "line 1: ids after `length` must be padding"),
        ("1,1\n", "rows need label,length"),
        ("1,a,3\n", "not a training file of integers"),
        ("1,1,3\n1,1\n", "not a training file of integers"),
        ("", "has no rows"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        read_csv(tmp_path / "t.csv", vocab_size=10)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_csv(tmp_path / "nope.csv")
