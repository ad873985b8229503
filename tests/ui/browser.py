"""Voilà on loopback and Debian Chromium driven by Playwright, for the browser tests of the widgets.

``voila_app(notebook)`` serves one notebook on a free 127.0.0.1 port and stops it afterwards;
``browser`` launches /usr/bin/chromium (Playwright's own download does not work here). Screenshots
go to ``artifacts/`` at the repository root (git-ignored); docs/img holds the published copies.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_binary
from tests.servers.process import free_port, spawn, stop, tcp_open, wait_for

ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@contextmanager
def voila_app(notebook: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve *notebook* with Voilà on 127.0.0.1; yield its URL."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="recon-voila-")) / "voila.log"
    voila = Path(sys.executable).with_name("voila")
    proc = spawn([str(voila), str(notebook), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
                  "--show_tracebacks=True"], log, env=env)
    try:
        wait_for(lambda: tcp_open(port), "voila", timeout=60, proc=proc, log=log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = require_binary("/usr/bin/chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def screenshot(page: object, selector: str, name: str) -> Path:
    """Save a picture of the element *selector* (the whole widget, however tall) as artifacts/NAME."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.locator(selector).first.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path

