"""A real Jupyter server (Lab or Notebook 7) on 127.0.0.1 for browser tests, stopped by PID."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL (the Mesh and Projector tabs) on the CPU: SwiftShader, asked for explicitly (Chromium's
    # automatic fallback to it is deprecated and logs a warning; without a GPU it is all there is)
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
# Notebook 7 throws this from its shortcuts extension at page load with no widget involved.
KNOWN_BENIGN = ["Cannot read properties of undefined (reading 'schema')"]
KERNEL_READY_JS = """() => {
  const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
  const name = document.querySelector('.jp-KernelName, [data-jp-item-name="kernelName"]');
  return !!ind && ind.getAttribute('data-status') === 'idle'
      && !!name && name.textContent.trim() !== '' && !/no kernel/i.test(name.textContent);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(base: Path) -> dict:
    """Fresh Jupyter dirs per test: no saved workspace, settings or stray kernelspecs."""
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        "IPYTHONDIR": "ipython",
    }
    for key, name in dirs.items():
        (base / name).mkdir(parents=True, exist_ok=True)
        env[key] = str(base / name)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_PATH", None)
    notif = base / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return env


class JupyterServer:
    def __init__(self, app: str, root: Path, work: Path) -> None:
        self.app, self.root, self.work = app, root, work
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = work / f"{app}-server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> JupyterServer:
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            self.app,
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if self.app == "lab":
            cmd += ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=isolated_env(self.work / f"{self.app}-home"),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter {self.app} exited early:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"jupyter {self.app} did not start:\n{self.log_path.read_text()}")

    def url(self, notebook: str) -> str:
        path = f"/lab/tree/{notebook}" if self.app == "lab" else f"/notebooks/{notebook}"
        return f"{self.base}{path}?token={self.token}"

    def stop(self) -> None:
        """SIGTERM (the server shuts its kernels down), then SIGKILL the group we created."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def write_notebook(root: Path, name: str, *sources: str) -> str:
    """Write a notebook of these code cells (Python 3 kernel) under ``root``; returns its name."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(root / name))
    return name


def wait_kernel_ready(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_function(KERNEL_READY_JS, timeout=timeout_ms, polling=100)


def run_all_cells(page) -> None:
    """As a user would: menu bar 'Run' -> 'Run All Cells' (same in Lab and Notebook 7)."""
    from playwright.sync_api import expect

    page.get_by_role("menubar").get_by_role("menuitem", name="Run", exact=True).click()
    item = page.get_by_role("menu").get_by_role("menuitem", name=re.compile(r"^Run All Cells"))
    expect(item).to_be_visible()
    item.click()


def page_errors(logs: list[str]) -> list[str]:
    return [
        line for line in logs if line.startswith(("pageerror", "error")) and not any(k in line for k in KNOWN_BENIGN)
    ]


def open_and_run_all(browser, server: JupyterServer, notebook: str, logs: list[str], height: int = 1000):
    """A page on ``notebook`` with its console and page errors collected in ``logs``, the kernel
    connected, and every cell run (not waited for)."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
    page.goto(server.url(notebook))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    wait_kernel_ready(page)
    run_all_cells(page)
    return page
