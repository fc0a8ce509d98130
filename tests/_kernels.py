"""Switching cellboard's numba kernels on or off for a test (``kernels.py``)."""

from __future__ import annotations

import os

import pytest

from cellboard import kernels


def set_kernels(monkeypatch, value, state: str) -> None:
    monkeypatch.setattr(kernels, "_kernels", value)
    monkeypatch.setattr(kernels, "_state", state)
    monkeypatch.setattr(kernels, "_state_pid", os.getpid())


def use_kernels(monkeypatch, on: bool) -> None:
    """numpy only (``on=False``), or the compiled kernels, compiled first (skips without numba)."""
    if not on:
        set_kernels(monkeypatch, None, "unavailable")
        return
    pytest.importorskip("numba")
    set_kernels(monkeypatch, None, "idle")
    assert kernels.wait() is not None
