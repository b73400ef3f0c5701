"""The IMDB archive: find a local copy or download the official one, verify it, extract it safely."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from sentiment.core import config
from sentiment.core.errors import ArchiveError

log = logging.getLogger(__name__)

_CORRUPT = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)
# The official archive unpacks to about 490 MB (the reviews, their bag-of-words .feat files, the URL
# lists); an archive that would write twice as much is not it, whatever it claims.
MAX_EXTRACTED_BYTES = 1_000_000_000


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate(explicit: str | Path | None = None) -> Path | None:
    """The archive to use: the explicit path, else $IMDB_ARCHIVE, else a known local copy."""
    chosen = explicit or os.environ.get(config.ENV_IMDB_ARCHIVE)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            source = "--archive" if explicit else f"${config.ENV_IMDB_ARCHIVE}"
            raise ArchiveError(f"IMDB archive not found: {path} (from {source})")
        return path
    return next((p for p in config.archive_candidates() if p.is_file()), None)


def download(url: str, dest: Path, expected_sha256: str) -> Path:
    """Download `url` to `dest` with a progress bar; keep it only if its checksum matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc="download IMDB") as bar:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
        if digest.hexdigest() != expected_sha256:
            raise ArchiveError(
                f"downloaded archive has sha256 {digest.hexdigest()}, expected {expected_sha256}: "
                "the download is damaged or the file changed; nothing was kept"
            )
        tmp.replace(dest)
        return dest
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise ArchiveError(
            f"could not download {url} ({exc}); download it yourself and pass its path with "
            f"--archive or ${config.ENV_IMDB_ARCHIVE}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def obtain(explicit: str | Path | None = None, expected_sha256: str | None = None) -> tuple[Path, str]:
    """A verified archive path and its sha256 (downloaded into the cache if no local copy)."""
    path = locate(explicit)
    if path is None:
        target = config.cache_dir() / config.IMDB_ARCHIVE_NAME
        log.info("no local IMDB archive; downloading %s", config.IMDB_URL)
        path = download(config.IMDB_URL, target, expected_sha256 or config.IMDB_OFFICIAL_SHA256)
    digest = sha256_of(path)
    if expected_sha256 and digest != expected_sha256.lower():
        raise ArchiveError(f"checksum mismatch for {path}: sha256 is {digest}, expected {expected_sha256}")
    return path, digest


def _check_member(member: tarfile.TarInfo) -> bool:
    """Refuse anything that could land outside the target folder or is not a plain file/folder; False
    for a member naming the archive's root itself (`./`, as `tar -C dir .` writes), which is skipped."""
    if not member.name or member.name.isspace():
        raise ArchiveError("unsafe archive member with an empty name")
    name = PurePosixPath(member.name)
    if name.is_absolute() or member.name.startswith(("/", "\\")) or (name.parts and ":" in name.parts[0]):
        raise ArchiveError(f"unsafe archive member {member.name!r}: absolute path")
    if ".." in name.parts:
        raise ArchiveError(f"unsafe archive member {member.name!r}: path leaves the target folder")
    if member.issym() or member.islnk():
        raise ArchiveError(f"unsafe archive member {member.name!r}: links are not allowed")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"unsafe archive member {member.name!r}: not a regular file or folder")
    return bool(name.parts)  # "./" is the root: nothing to extract


def extract(archive: Path, dest: Path, limit_bytes: int = MAX_EXTRACTED_BYTES) -> Path:
    """Extract `archive` into `dest` (created atomically); return the dataset root (aclImdb/). What it
    writes is bounded: the files' sizes are added up before each one is written, and past `limit_bytes`
    (IMDB's own size with a margin) the extraction stops with an ArchiveError."""
    if (dest / "aclImdb").is_dir():
        return dest / "aclImdb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    written = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            bar = tqdm(desc="extract IMDB", unit="file")
            with bar:
                for member in tar:
                    if not _check_member(member):
                        continue
                    written += member.size if member.isfile() else 0
                    if written > limit_bytes:
                        raise ArchiveError(
                            f"{archive} unpacks to more than {limit_bytes / 1e9:.1f} GB, far more than the IMDB "
                            f"dataset (stopped at {member.name!r}): not the IMDB archive"
                        )
                    try:
                        tar.extract(member, staging, filter="data")
                    except (NotADirectoryError, IsADirectoryError, FileExistsError):
                        raise ArchiveError(
                            f"{archive}: member {member.name!r} is both a file and a folder in the archive"
                        ) from None
                    bar.update(1)
        if not (staging / "aclImdb").is_dir():
            raise ArchiveError(f"{archive} has no aclImdb/ folder: not the IMDB dataset archive")
        staging.replace(dest)
    except tarfile.ReadError as exc:  # its message lists every decompression it tried, one per line
        if "could not be opened" in str(exc):
            raise ArchiveError(f"{archive} is truncated or corrupt: not a tar archive (gzip, bzip2, xz or plain)") from None
        raise ArchiveError(f"{archive} is truncated or corrupt ({str(exc).splitlines()[0]})") from None
    except _CORRUPT as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ArchiveError(f"{archive} is truncated or corrupt ({type(exc).__name__}: {first})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest / "aclImdb"


def verify_layout(root: Path, per_folder: int = config.IMDB_REVIEWS_PER_FOLDER) -> None:
    """Check the labelled folders each hold `per_folder` reviews."""
    for folder in config.IMDB_LABELLED_FOLDERS:
        found = sum(1 for _ in (root / folder).glob("*.txt")) if (root / folder).is_dir() else 0
        if found != per_folder:
            raise ArchiveError(
                f"{root / folder} holds {found:,} reviews, expected {per_folder:,}: "
                "the archive is incomplete or not the IMDB dataset"
            )


def prepare_root(
    explicit: str | Path | None = None,
    expected_sha256: str | None = None,
    per_folder: int = config.IMDB_REVIEWS_PER_FOLDER,
) -> tuple[Path, str]:
    """Obtain, verify and extract the archive; return the dataset root and the archive's sha256."""
    archive, digest = obtain(explicit, expected_sha256)
    root = extract(archive, config.cache_dir() / f"imdb-{digest[:16]}")
    try:
        verify_layout(root, per_folder)
    except ArchiveError:
        shutil.rmtree(root.parent, ignore_errors=True)  # never reuse a bad extraction
        raise
    if digest not in config.IMDB_KNOWN_SHA256 and not expected_sha256:
        log.warning("archive %s has an unknown sha256 %s; its content matches the IMDB layout", archive, digest)
    return root, digest
