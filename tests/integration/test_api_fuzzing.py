"""Schemathesis against the local stack, from the OpenAPI document the stack serves: no 5xx, every
response matches the schema, schema-violating requests are refused (a bounded, seeded run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sentiment.api import request
from sentiment.core.config import PROJECT_ROOT
from sentiment.local.template import read_api

pytestmark = pytest.mark.slow
OPENAPI = PROJECT_ROOT / "static" / "openapi.json"


def test_the_document_matches_the_template_and_the_limits() -> None:
    document = json.loads(OPENAPI.read_text())
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    routes = {route for route in read_api(PROJECT_ROOT / "template.yaml").routes if route[0] != "OPTIONS"}
    assert documented == routes
    assert document["info"]["x-limits"] == request.LIMITS
    batch = document["components"]["schemas"]["BatchRequest"]["properties"]["reviews"]
    assert batch["maxItems"] == request.MAX_BATCH_REVIEWS


def test_schemathesis_finds_nothing(stack: str, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    done = subprocess.run(
        [
            str(schemathesis),
            "--config-file",
            str(PROJECT_ROOT / "schemathesis.toml"),
            "run",
            f"{stack}/openapi.json",
            "--url",
            stack,
            "--checks",
            "all",
            "--exclude-checks",
            "unsupported_method",
            "--max-examples",
            "80",
            "--seed",
            "20261122",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,  # its .schemathesis/ cache lands there
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "generated" in done.stdout
