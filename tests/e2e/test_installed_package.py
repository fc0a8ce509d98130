"""A board rendered from the *installed* package's bundle, for the sdist and the wheel that
scripts/test-packaging installed into fresh venvs without Node (build/pkgcheck/venv-{sdist,wheel}).
Skipped when those venvs are absent (run scripts/test-packaging, or scripts/test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .frontend_harness import CHROMIUM, ROOT, chromium, open_harness, serve
from .test_frontend_harness import UNSAFE_JS, expect_totals, real_errors, wait_streamed

PKGCHECK = ROOT / "build" / "pkgcheck"


def installed_bundle(venv: Path) -> Path:
    code = "import pathlib, cellboard; print(pathlib.Path(cellboard.__file__).parent / 'static' / 'widget.js')"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=venv,
        env={"PATH": str(venv / "bin")},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Path(out)


@pytest.mark.parametrize("kind", ["sdist", "wheel"])
def test_board_renders_from_the_installed_bundle(kind, tmp_path):
    from playwright.sync_api import expect

    venv = PKGCHECK / f"venv-{kind}"
    if not (venv / "bin" / "python").exists():
        pytest.skip(f"no {venv.relative_to(ROOT)}: run scripts/test-packaging")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    bundle = installed_bundle(venv)
    assert bundle.is_file() and venv in bundle.parents, bundle
    # the harness page imports ../../python_pkg/cellboard/static/widget.js: serve it the installed one
    shutil.copytree(ROOT / "js" / "harness", tmp_path / "js" / "harness")
    static = tmp_path / "python_pkg" / "cellboard" / "static"
    static.mkdir(parents=True)
    shutil.copy2(bundle, static / "widget.js")
    with serve(tmp_path) as base, chromium() as browser:
        page, errors = open_harness(browser, base)
        board = page.locator("#out.cellboard")
        wait_streamed(page)
        expect_totals(board)
        board.get_by_role("tab", name="Text").click()
        expect(board.locator(".cb-md table").first).to_be_visible()
        assert board.evaluate(UNSAFE_JS) == []
        assert real_errors(errors) == []
        page.close()
