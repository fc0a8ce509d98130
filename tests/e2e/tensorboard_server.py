"""TensorBoard itself, served on 127.0.0.1 for reference screenshots next to cellboard's board."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .jupyter_server import free_port

TENSORBOARD = Path(sys.executable).with_name("tensorboard")


@contextmanager
def tensorboard(logdir: Path, timeout: float = 60) -> Iterator[str]:
    """Yield the URL of a TensorBoard serving ``logdir`` once it answers; stopped (by its PID) on exit.
    Skips the test where the ``tensorboard`` command is not installed."""
    if not TENSORBOARD.exists():
        pytest.skip("tensorboard is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [str(TENSORBOARD), "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/data/plugins_listing", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"TensorBoard did not answer on {url} within {timeout:.0f} s") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
