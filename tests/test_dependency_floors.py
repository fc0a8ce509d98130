"""The dependency floors pyproject.toml declares are the versions scripts/test-oldest tests on.

``scripts/oldest-deps.txt`` pins each floor; scripts/test-oldest installs exactly those and runs the
suite there (with ``CELLBOARD_OLDEST=1``, where this file also checks they are what is installed).
"""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python >= 3.11


def _floors() -> dict[str, str]:
    """``{name: floor}`` of pyproject.toml's ``dependencies`` (each is ``name>=floor``)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for d in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", d.replace(" ", ""))
        assert m, f"a dependency without a tested floor: {d!r}"
        out[m.group(1).lower()] = m.group(2)
    return out


def _pinned() -> dict[str, str]:
    lines = (ROOT / "scripts" / "oldest-deps.txt").read_text().splitlines()
    pairs = [line.split("#")[0].strip().split("==") for line in lines if line.split("#")[0].strip()]
    return {name.lower(): version for name, version in pairs}


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3])


def test_every_floor_is_pinned_for_the_oldest_run():
    floors, pinned = _floors(), _pinned()
    assert sorted(floors) == sorted(pinned)
    for name, floor in floors.items():
        # the pin is the floor itself, or its first patch release (1.24 -> 1.24.0)
        assert _release(pinned[name])[: len(_release(floor))] == _release(floor), (name, floor, pinned[name])


def test_the_installed_versions_meet_the_floors():
    for name, floor in _floors().items():
        installed = _release(metadata.version(name))
        assert installed >= _release(floor), (name, installed, floor)
        if os.environ.get("CELLBOARD_OLDEST") == "1":  # scripts/test-oldest: exactly the pins
            assert metadata.version(name) == _pinned()[name], (name, metadata.version(name))
