import hashlib
import tarfile
from pathlib import Path

import pytest

from sentiment.core import config
from sentiment.core.errors import ArchiveError
from sentiment.data import archive
from tests.conftest import add_file, write_imdb_archive


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("../evil.txt", "leaves the target folder"),
        ("aclImdb/../../evil.txt", "leaves the target folder"),
        ("/etc/evil.txt", "absolute path"),
    ],
)
def test_path_traversal_members_are_refused(tmp_path: Path, cache: Path, member: str, reason: str) -> None:
    bad = write_imdb_archive(tmp_path / "bad.tar.gz", extra=lambda tar: add_file(tar, member, b"x"))
    with pytest.raises(ArchiveError, match=reason):
        archive.extract(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert list(tmp_path.glob(".out.*")) == []  # the staging folder is cleaned up


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_links_are_refused(tmp_path: Path, kind: bytes) -> None:
    def add_link(tar: tarfile.TarFile) -> None:
        tar.addfile(_link("aclImdb/train/pos/99_9.txt", "/etc/passwd", kind))

    bad = write_imdb_archive(tmp_path / "bad.tar.gz", extra=add_link)
    with pytest.raises(ArchiveError, match="links are not allowed"):
        archive.extract(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_device_members_are_refused(tmp_path: Path) -> None:
    def add_fifo(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("aclImdb/fifo")
        info.type = tarfile.FIFOTYPE
        tar.addfile(info)

    with pytest.raises(ArchiveError, match="not a regular file"):
        archive.extract(write_imdb_archive(tmp_path / "bad.tar.gz", extra=add_fifo), tmp_path / "out")


def test_truncated_archive(tmp_path: Path) -> None:
    good = write_imdb_archive(tmp_path / "good.tar.gz").read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(ArchiveError, match="truncated or corrupt"):
        archive.extract(cut, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_corrupt_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not a tar file at all" * 100)
    with pytest.raises(ArchiveError, match="truncated or corrupt"):
        archive.extract(junk, tmp_path / "out")


def test_archive_without_dataset_folder(tmp_path: Path) -> None:
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        add_file(tar, "something/else.txt", b"hi")
    with pytest.raises(ArchiveError, match="no aclImdb/ folder"):
        archive.extract(other, tmp_path / "out")


def test_good_small_archive_extracts_and_verifies(small_archive: Path, cache: Path) -> None:
    root, digest = archive.prepare_root(small_archive, per_folder=4)
    assert root.name == "aclImdb" and (root / "train" / "pos" / "0_7.txt").is_file()
    assert digest == hashlib.sha256(small_archive.read_bytes()).hexdigest()
    assert archive.prepare_root(small_archive, per_folder=4)[0] == root  # second call reuses it


def test_incomplete_layout_is_refused_and_not_kept(small_archive: Path, cache: Path) -> None:
    with pytest.raises(ArchiveError, match="holds 4 reviews, expected 12,500"):
        archive.prepare_root(small_archive)
    assert not any(cache.glob("imdb-*"))


def test_checksum_mismatch(small_archive: Path, cache: Path) -> None:
    with pytest.raises(ArchiveError, match="checksum mismatch"):
        archive.prepare_root(small_archive, expected_sha256="0" * 64, per_folder=4)


def test_missing_archive_named_explicitly(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(ArchiveError, match=r"not found.*--archive"):
        archive.locate(tmp_path / "nope.tar.gz")


def test_missing_archive_from_environment(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_IMDB_ARCHIVE, str(tmp_path / "nope.tar.gz"))
    with pytest.raises(ArchiveError, match=f"not found.*{config.ENV_IMDB_ARCHIVE}"):
        archive.locate()


def test_environment_variable_is_used(small_archive: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_IMDB_ARCHIVE, str(small_archive))
    assert archive.locate() == small_archive


def test_download_keeps_only_a_verified_file(tmp_path: Path) -> None:
    payload = b"pretend archive bytes"
    source = tmp_path / "remote.bin"
    source.write_bytes(payload)
    good = hashlib.sha256(payload).hexdigest()
    dest = tmp_path / "dl" / "a.tar.gz"
    assert archive.download(source.as_uri(), dest, good).read_bytes() == payload
    dest.unlink()
    with pytest.raises(ArchiveError, match="expected"):
        archive.download(source.as_uri(), dest, "f" * 64)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_unreachable_download_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"could not download.*--archive"):
        archive.download((tmp_path / "missing").as_uri(), tmp_path / "a.tar.gz", "0" * 64)


def test_official_source_is_known() -> None:
    assert config.IMDB_URL.endswith("/aclImdb_v1.tar.gz")
    assert config.IMDB_OFFICIAL_SHA256 in config.IMDB_KNOWN_SHA256


def test_a_file_that_is_no_archive_gets_one_line(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sentiment.cli import main

    not_an_archive = tmp_path / "passwd"
    not_an_archive.write_text("root:x:0:0:root:/root:/bin/bash\n" * 20)
    assert main(["data", "--archive", str(not_an_archive), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a tar archive" in err and not (tmp_path / "out").exists()


def _root_member(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


def test_a_tarball_of_dot_extracts(tmp_path: Path) -> None:
    """`tar -C dir .` writes the root itself as `./` first: skipped, not an IndexError."""
    made = write_imdb_archive(tmp_path / "dot.tar.gz", extra=lambda tar: tar.addfile(_root_member("./")))
    assert (archive.extract(made, tmp_path / "out") / "train" / "pos").is_dir()


def test_an_empty_member_name_is_one_clear_error(tmp_path: Path) -> None:
    made = write_imdb_archive(tmp_path / "empty.tar.gz", extra=lambda tar: add_file(tar, "", b"x"))
    with pytest.raises(ArchiveError, match="empty name"):
        archive.extract(made, tmp_path / "out")


def test_extraction_stops_past_its_size_bound_while_writing(tmp_path: Path) -> None:
    """A small archive of large members (zeros compress 1000:1) is stopped at the bound, with what it
    wrote so far removed."""
    made = write_imdb_archive(
        tmp_path / "bomb.tar.gz", extra=lambda tar: add_file(tar, "aclImdb/big.bin", b"\0" * 3_000_000)
    )
    assert made.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        archive.extract(made, tmp_path / "out", limit_bytes=1_000_000)
    assert not (tmp_path / "out").exists() and list(tmp_path.glob(".out.*")) == []


def test_a_file_and_a_folder_of_one_name_are_one_clear_error(tmp_path: Path) -> None:
    def both(tar: tarfile.TarFile) -> None:
        add_file(tar, "aclImdb/clash", b"a file")
        add_file(tar, "aclImdb/clash/inside.txt", b"and a folder")

    made = write_imdb_archive(tmp_path / "clash.tar.gz", extra=both)
    with pytest.raises(ArchiveError, match="both a file and a folder"):
        archive.extract(made, tmp_path / "out")
