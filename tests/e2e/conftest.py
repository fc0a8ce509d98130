"""Shared fixtures of the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .frontend_harness import CHROMIUM, ROOT, chromium, ensure_bundle, serve

# Assertions wait up to 15 s (playwright's default: 5 s): CI shares 2 cores with the Jupyter server,
# the kernel and the browser, and a chart drawn in 0.2 s on a quiet machine can take seconds there.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def site():
    """``(base URL, browser)``: the repository served on 127.0.0.1 (the frontend harness and the
    bundle, rebuilt when stale) and a headless Chromium; skips where either is unavailable."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    reason = ensure_bundle()
    if reason:
        pytest.skip(reason)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with serve() as base, chromium() as browser:
        yield base, browser
