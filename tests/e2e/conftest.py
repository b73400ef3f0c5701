"""A real Chromium (Debian's, driven by Playwright) against the local stack on loopback."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sentiment.core.config import PROJECT_ROOT
from sentiment.local import processes
from tests.processes import free_port, running, sentiment_command, wait_until_up

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


@dataclass
class ModelServer:
    """The model server as its own process, so a test can stop it and bring it back."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        port = str(self.port)
        command = sentiment_command("serve", "--model-dir", "model/artifact", "--port", port, "--workers", "1")
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        wait_until_up(f"{self.url}/ping", self.process)

    def stop(self) -> None:
        if self.process:
            processes.stop(self.process)


@pytest.fixture(scope="session")
def model_server() -> Iterator[ModelServer]:
    server = ModelServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site(model_server: ModelServer) -> Iterator[str]:
    port = free_port()
    command = sentiment_command("up", "--port", str(port), "--endpoint-url", model_server.url)
    with running(command, f"http://127.0.0.1:{port}/health"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (make test does it)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, site: str) -> Iterator[object]:
    # bypass_csp: the accessibility audit injects axe-core, which the page's own policy would refuse.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))  # type: ignore[attr-defined]
    page.goto(site)
    page.wait_for_selector("#api-status.ok")
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def audit(page: object, state: str) -> None:
    """axe-core (WCAG 2.1 AA and best practices) on the page as it is: no violation allowed."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
    assert not found, f"accessibility violations in state {state!r}:\n" + "\n".join(found)
