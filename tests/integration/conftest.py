"""The local stack as a module-scoped fixture: `sentiment up` on free ports, its base URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.processes import free_port, running, up_command


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    port = free_port()
    with running(up_command(port, free_port()), f"http://127.0.0.1:{port}/health"):
        yield f"http://127.0.0.1:{port}"
