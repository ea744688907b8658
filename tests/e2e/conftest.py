"""Browser tests: the real app in a subprocess on its own demo database, driven by headless Chromium.

The server gets a fresh SQLite file in its own var/ folder (the unit tests truncate theirs), filled
by `campaign demo --no-serve`. Fixtures are package-scoped and sync: Playwright's sync API marks
its event loop as running in this thread between calls, which would break the asyncio tests that
run after this package, so the browser is closed as soon as the package is done.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.services import need

DEMO_PASSWORD = "demo2026"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def campaign_command(*args: str) -> list[str]:
    """The `campaign` console script installed next to this interpreter."""
    return [str(Path(sys.executable).parent / "campaign"), *args]


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not healthy after {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="package")
def server() -> Iterator[str]:
    """Base URL of `campaign serve` on a demo database of its own."""
    var = Path(tempfile.mkdtemp(prefix="campaign-e2e-"))
    env = {
        **os.environ,
        "CAMPAIGN_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'e2e.sqlite3'}",
        "SECRET_KEY": "e2e-secret-key",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(campaign_command("demo", "--no-serve"), env=env, check=True, capture_output=True)
    port = free_port()
    log = var / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            campaign_command("serve", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="package")
def browser():
    executable = chromium_path()
    need(executable is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


class ConsoleErrors:
    """Errors the browser logged (console.error, uncaught exceptions). A page that logs one is
    broken for someone, so every browser test fails on them unless it names the ones it expects.
    A page's own 4xx status (a form sent back with errors, an error page) is the test's to
    assert, so "Failed to load resource" for a document is not counted; for a script, a style
    sheet, an image or an htmx request it is."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.expected: list[str] = []
        self.documents: set[str] = set()

    def expect(self, fragment: str) -> None:
        self.expected.append(fragment)

    def console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and url in self.documents:
            return
        self.seen.append(f"{message.text} @ {url}")

    def response(self, response) -> None:
        if response.request.resource_type == "document":
            self.documents.add(response.url)

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(part in e for part in self.expected)]


@pytest.fixture(autouse=True)
def console_errors(browser, monkeypatch) -> Iterator[ConsoleErrors]:
    """Every browser context a test opens reports its console errors and uncaught exceptions
    here; the test fails on any it did not expect."""
    errors = ConsoleErrors()
    original = browser.new_context

    def new_context(*args, **kwargs):
        context = original(*args, **kwargs)
        context.on("response", errors.response)
        context.on("console", errors.console)
        context.on("weberror", lambda e: errors.seen.append(f"uncaught: {e.error}"))
        return context

    monkeypatch.setattr(browser, "new_context", new_context)
    yield errors
    assert not errors.unexpected(), f"browser console errors: {errors.unexpected()}"


@pytest.fixture
def page(browser, server):
    """A fresh browser context (no cookies) with a desktop-sized page."""
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
