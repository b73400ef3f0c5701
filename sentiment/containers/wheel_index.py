"""A package index on loopback for image builds: local wheel files first, PyPI for everything else.

PyTorch's CPU wheels live on download.pytorch.org, which some machines cannot reach, while the
same pinned wheel lies on their disk (pip's find-links). An image build pointed here
(`--build-arg TORCH_INDEX_URL=http://127.0.0.1:PORT/simple`, with `docker build --network host`)
gets those files, and every project without a local file is redirected to PyPI's own page for
it, so the index is complete, as download.pytorch.org's is. Nothing is copied: files are
streamed from where they lie.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

PYPI_SIMPLE = "https://pypi.org/simple"
# One port every time when it is free: the URL is a build argument, and Docker's layer cache keys on it.
PREFERRED_PORT = 31415


def normalise(name: str) -> str:
    """PEP 503's normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class WheelIndex:
    """The wheels in `folders`, by normalised project name."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.files: dict[str, list[Path]] = {}
        for folder in folders:
            for wheel in sorted(Path(folder).glob("*.whl")):
                self.files.setdefault(normalise(wheel.name.split("-", 1)[0]), []).append(wheel)

    def page(self, project: str) -> bytes | None:
        """The project's simple-API page, None when no local file is known."""
        wheels = self.files.get(normalise(project))
        if not wheels:
            return None
        links = "".join(
            f'<a href="/files/{html.escape(w.name)}#sha256={_sha256(w)}">{html.escape(w.name)}</a><br>\n'
            for w in wheels
        )
        return f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode()

    def file(self, name: str) -> Path | None:
        return next((w for wheels in self.files.values() for w in wheels if w.name == name), None)


def _handler(index: WheelIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = [unquote(p) for p in self.path.split("?", 1)[0].split("/") if p]
            if len(parts) == 2 and parts[0] == "simple":
                page = index.page(parts[1])
                if page is None:  # not here: PyPI's page for it
                    self.send_response(302)
                    self.send_header("Location", f"{PYPI_SIMPLE}/{normalise(parts[1])}/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, page, "text/html")
            elif len(parts) == 2 and parts[0] == "files" and (wheel := index.file(parts[1])):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(wheel.stat().st_size))
                self.end_headers()
                with wheel.open("rb") as source:
                    while block := source.read(1 << 20):
                        self.wfile.write(block)
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    return Handler


@contextmanager
def serving(folders: Iterable[Path], host: str = "127.0.0.1") -> Iterator[str]:
    """The index's simple-API URL while the block runs (a thread of this process; stopped after), on
    PREFERRED_PORT unless that is taken."""
    handler = _handler(WheelIndex(folders))
    try:
        server = ThreadingHTTPServer((host, PREFERRED_PORT), handler)
    except OSError:
        server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="wheel-index", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
