"""`sentiment batch` on small files of each format, with bad lines that do not stop the run."""

import csv
import json
from pathlib import Path

import pytest

from sentiment.cli import main


def _model(tiny_model_dir: Path) -> list[str]:
    return ["--model-dir", str(tiny_model_dir), "--workers", "1"]


def test_plain_lines_with_a_bad_line(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "reviews.txt"
    source.write_text("w2 w3 w4 great\n\nw12 w13 w14 awful\n")
    assert main(["batch", str(source), str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["line"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["label"] == "POSITIVE" and rows[2]["label"] == "NEGATIVE"
    assert rows[1]["error"] == "empty review" and rows[1]["score"] == ""
    assert "scored 2 of 3 lines (1 with errors)" in capsys.readouterr().out


def test_csv_text_column_to_jsonl(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    source.write_text('id,review\n1,"w2 w5, w6"\n2,"w15 w16"\n')
    assert main(["batch", str(source), str(tmp_path / "out.jsonl"), *_model(tiny_model_dir)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["label"] for r in rows] == ["POSITIVE", "NEGATIVE"]
    assert all(0.5 <= r["confidence"] <= 1 and r["truncated"] is False for r in rows)


def test_jsonl_with_broken_lines(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "reviews.jsonl"
    source.write_text('{"text": "w2 w3"}\n{broken\n"w12 w13"\n{"other": 1}\n')
    assert main(["batch", str(source), str(tmp_path / "out.jsonl"), *_model(tiny_model_dir)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [("error" in r) for r in rows] == [False, True, False, True]
    assert rows[1]["error"].startswith("not valid JSON") and rows[3]["error"] == "no review text on this line"


@pytest.mark.parametrize(
    ("name", "content", "output", "message"),
    [
        ("r.csv", "id,body\n1,x\n", "out.csv", "no column 'review or text'"),
        ("r.txt", "x\n", "out.parquet", "output must end in .csv or .jsonl"),
        ("missing.txt", None, "out.csv", "input not found"),
    ],
)
def test_unusable_files_get_one_message(
    tiny_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | None,
    output: str,
    message: str,
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    assert main(["batch", str(tmp_path / name), str(tmp_path / output), *_model(tiny_model_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_only_newlines_end_a_line(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "reviews.txt"
    source.write_text("w2 w3\u2028w4\x0cw5\r\nw12 w13\n", encoding="utf-8", newline="")
    assert main(["batch", str(source), str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 0
    assert [r["line"] for r in csv.DictReader((tmp_path / "out.csv").open())] == ["1", "2"]


def test_output_over_the_input_is_refused(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "same.csv"
    source.write_text("review\nw2 w3\n")
    assert main(["batch", str(source), str(source), *_model(tiny_model_dir)]) == 2
    assert "is the input" in capsys.readouterr().err and source.read_text() == "review\nw2 w3\n"


@pytest.mark.parametrize("case", ["output is a folder", "output parent is a file", "input is a folder"])
def test_bad_paths_get_one_line(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("w2 w3\n")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "folder.csv").mkdir()
    arguments = {
        "output is a folder": [str(source), str(tmp_path / "folder.csv")],
        "output parent is a file": [str(source), str(tmp_path / "a-file" / "out.csv")],
        "input is a folder": [str(tmp_path), str(tmp_path / "out.csv")],
    }[case]
    assert main(["batch", *arguments, *_model(tiny_model_dir)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_hostile_lines_get_their_own_errors(tiny_model_dir: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "hostile.jsonl"
    jsonl.write_bytes(
        b'{"text": "w2 w3"}\n'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"\n"
        + b'{"text": '
        + b"9" * 5000
        + b"}\n"
        + b'{"text": "w12 \xff\xfe"}\n'
        + b'"w12 w13"\n'
    )
    assert main(["batch", str(jsonl), str(tmp_path / "out.jsonl"), *_model(tiny_model_dir)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [("error" in r) for r in rows] == [False, True, True, True, False]
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("review\nw2 w3\n" + '"' + "w2 " * 1_700_000 + '"\n' + "w12 w13\n")
    assert main(["batch", str(csv_file), str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [bool(r["error"]) for r in rows] == [False, True, False] and "the limit is" in rows[1]["error"]


def test_binary_input_is_not_scored(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import random

    rng = random.Random(3)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    source = tmp_path / "noise.txt"
    source.write_bytes(noise)
    assert main(["batch", str(source), str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert rows and all(r["error"] for r in rows)
    assert "scored 0 of" in capsys.readouterr().out


def test_escape_sequences_in_a_header_are_printed_escaped(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "evil.csv"
    source.write_text("id,\x1b[31mred\x1b[0m\n1,x\n")
    assert main(["batch", str(source), str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31mred" in err


def test_jsonl_honours_the_text_column(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"body": "w2 w3 w4", "review": "ignored"}\n{"body": "w12 w13"}\n{"review": "no body"}\n')
    assert (
        main(["batch", str(source), str(tmp_path / "out.csv"), "--text-column", "body", *_model(tiny_model_dir)]) == 0
    )
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["error"] for r in rows] == ["", "", "no review text on this line"]


def test_a_spreadsheets_byte_order_mark_is_not_part_of_the_header(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes("\ufeffreview,id\nw2 w3,1\n".encode())
    assert main(["batch", str(source), str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 0


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/stdin"])
def test_a_device_is_refused_before_anything_is_read(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    assert main(["batch", source, str(tmp_path / "out.csv"), *_model(tiny_model_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "is not a regular file" in err and "\n" not in err


def test_a_negative_worker_count_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["batch", "in.txt", str(tmp_path / "out.csv"), "--workers", "-1"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "expected 0 or more, got -1" in err and "Traceback" not in err
