"""hatch-jupyter-builder build function: the frontend bundle with ``npm ci`` (hatch-jupyter-builder's own
``npm_builder`` runs ``npm install``, which may rewrite package-lock.json and resolve other versions).

- The bundle is up to date (not older than anything in js/src and js/package*.json; an sdist carries
  it, and unpacks with one mtime for every file): nothing runs, no Node needed.
- Otherwise ``npm ci`` (exactly what js/package-lock.json pins; skipped when node_modules already
  matches it) and ``npm run build``.
- No npm but a bundle exists: a warning, and the existing bundle is used.
``HATCH_JUPYTER_BUILDER_SKIP_NPM=1`` skips everything, as for ``npm_builder``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("cellboard.frontend_build")


def _newest(paths) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def npm_ci_build(
    target_name: str,
    version: str,
    path: str = "js",
    bundle: str = "",
    also: str = "",
    build_cmd: str = "build",
    npm: str = "npm",
    **_ignored,
) -> None:
    js = Path(path).resolve()
    outs = [Path(b.strip()).resolve() for b in bundle.split(",") if b.strip()]  # what `npm run build` writes
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        log.info("cellboard: HATCH_JUPYTER_BUILDER_SKIP_NPM=1, not building the frontend")
        return
    sources = [*(js / "src").rglob("*"), js / "package.json", js / "package-lock.json"]
    if also:
        sources.append(Path(also).resolve())
    built = all(o.is_file() for o in outs)
    if built and min(o.stat().st_mtime for o in outs) >= _newest(sources):
        log.info("cellboard: %s up to date, npm not needed", ", ".join(o.name for o in outs))
        return
    exe = shutil.which(npm)
    if exe is None:
        if built:
            log.warning("cellboard: npm not found; using the existing (possibly stale) %s", ", ".join(map(str, outs)))
            return
        raise RuntimeError(
            f"cellboard: building from source needs Node.js and npm ({npm!r} not found on PATH) "
            f"to build {', '.join(map(str, outs))}; install Node 20+, or install a wheel or sdist, which carry the bundle"
        )
    lock, installed = js / "package-lock.json", js / "node_modules" / ".package-lock.json"
    if not installed.is_file() or installed.stat().st_mtime < _newest([lock, js / "package.json"]):
        subprocess.run([exe, "ci", "--no-audit", "--no-fund"], cwd=js, check=True)
    subprocess.run([exe, "run", build_cmd], cwd=js, check=True)
