"""Nothing secret is committed: no AWS keys, private keys or tokens in any tracked file.

(The other security checks live beside what they check: IAM, CORS and the private bucket in
test_template.py; weights_only loading and the crafted pickle in test_shipped_model.py and
test_training.py; request limits in test_service.py and test_local_stack.py.)"""

from __future__ import annotations

import re
import subprocess

import pytest

from sentiment.core.config import PROJECT_ROOT

SECRETS = {
    "AWS access key id": re.compile(rb"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(rb"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"),
    "private key": re.compile(rb"-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "GitHub token": re.compile(rb"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(rb"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
}


def tracked_files() -> list[str]:
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in done.stdout.decode().split("\0") if name]


def test_no_secrets_in_tracked_files() -> None:
    found = []
    for name in tracked_files():
        path = PROJECT_ROOT / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        found += [f"{name}: {what}" for what, pattern in SECRETS.items() if pattern.search(data)]
    assert not found


def test_the_patterns_catch_what_they_should() -> None:
    fake_key = b"AKIA" + b"ABCDEFGHIJKLMNOP"  # assembled, so this file holds no key-shaped string
    assert SECRETS["AWS access key id"].search(b"key = " + fake_key)
    assert SECRETS["private key"].search(b"-----BEGIN RSA PRIVATE" + b" KEY-----")
