"""The static website (static/) as both hosts serve it: the local stack and S3 behind CloudFront.

`config.js` tells the page where the API is; it is written, never edited by hand: from the local
stack's URL, or from the deployed stack's outputs by `make deploy`.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

CONFIG_JS = "config.js"
NO_CACHE = frozenset({"index.html", CONFIG_JS, "openapi.json"})  # change with every deploy
_TEXT = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")


def config_js(api_url: str) -> str:
    """The website's configuration: the API's base URL."""
    return f"window.SENTIMENT_CONFIG = {json.dumps({'apiUrl': api_url.rstrip('/')}, indent=2)};\n"


def content_type(name: str) -> str:
    """The Content-Type a file of the site is served with (text in UTF-8)."""
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith(_TEXT) else guessed


def site_files(static_dir: Path, api_url: str) -> dict[str, bytes]:
    """Every file of the site by its URL path (POSIX, no leading slash), config.js included."""
    files = {p.relative_to(static_dir).as_posix(): p.read_bytes() for p in sorted(static_dir.rglob("*")) if p.is_file()}
    files[CONFIG_JS] = config_js(api_url).encode()
    return files
