"""Serve the built frontend bundle and js/harness/ on 127.0.0.1 and drive them in headless Chromium.

Shared by tests/e2e/test_frontend_harness.py and benchmarks/frontend_render.py. The harness page
(js/harness/index.html) mounts python_pkg/cellboard/static/widget.js with a fake anywidget model
and a fake kernel that streams synthetic deltas, so the frontend can be tested without Jupyter.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import subprocess
import threading
from pathlib import Path
from typing import ClassVar

from .jupyter_server import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "js"
BUNDLE = ROOT / "python_pkg" / "cellboard" / "static" / "widget.js"
LOADER = BUNDLE.with_name("loader.js")  # built by the same `npm run build`, first
HARNESS_PATH = "/js/harness/index.html"


def bundle_is_stale() -> bool:
    if not (BUNDLE.exists() and LOADER.exists()):
        return True
    built = BUNDLE.stat().st_mtime
    sources = [*(JS / "src").rglob("*.ts"), ROOT / "python_pkg" / "cellboard" / "board" / "palette.json"]
    return any(p.stat().st_mtime > built for p in sources)


def ensure_bundle() -> str | None:
    """Build the bundle if it is missing or older than js/src. Returns a reason when impossible."""
    if not bundle_is_stale():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return None if BUNDLE.exists() else "npm is not installed and the bundle is missing"
    if not (JS / "node_modules" / ".bin" / "esbuild").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True)
    subprocess.run([npm, "run", "build"], cwd=JS, check=True, capture_output=True)
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
    }

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextlib.contextmanager
def serve(root: Path = ROOT):
    """An HTTP server for `root` on a free port of 127.0.0.1, in a thread; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="harness-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium():
    """Headless Debian Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_harness(browser, base: str, query: str = "", viewport=(1280, 900)):
    """A new page on the harness; returns (page, errors) where errors collects page errors."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.goto(f"{base}{HARNESS_PATH}{query}")
    page.wait_for_function("() => window.cellboardHarness && window.cellboardHarness.ready", timeout=30_000)
    return page, errors


def run_benchmark(browser, base: str) -> dict:
    """First render of 10 runs x 100k points (one delta) and live updates of 10 points per series."""
    page, errors = open_harness(browser, base, "?mode=bench", viewport=(1280, 900))
    try:
        result = page.evaluate("() => window.cellboardHarness.bench()")
        if errors:
            result["errors"] = errors
        return result
    finally:
        page.close()


def real_errors(errors: list[str]) -> list[str]:
    """Page errors that matter (the harness page has no favicon)."""
    return [e for e in errors if "favicon" not in e and "Failed to load resource" not in e]


ARTIFACTS = ROOT / "test-artifacts"


def save_screenshot(target, tmp_path: Path, name: str) -> None:
    """A screenshot of ``target`` (a page or a locator) into the test's ``tmp_path`` and, to look at
    after the run, into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    target.screenshot(path=str(tmp_path / name))
    shutil.copy(tmp_path / name, ARTIFACTS / name)
