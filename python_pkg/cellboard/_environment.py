"""Which notebook host the kernel runs under, so the board can behave right without being told.

Detection is cheap and side-effect free (nothing is imported that is not already loaded):

- **Colab**: the ``google.colab`` module is loaded (Colab's kernel imports it at start-up), or
  Colab's environment variables are set (``COLAB_RELEASE_TAG``, ``COLAB_GPU``...). Colab renders
  widget messages only when they are sent from the thread running the cell, so there the board
  sends only from the main thread (see ``Board``) and following a directory in the background
  prints a one-line hint about ``%%cellboard``.
- **VS Code**: ``VSCODE_PID`` or ``VSCODE_CWD`` in the environment (inherited by the kernels VS Code
  starts), or the ``vscode_datascience_helpers`` module of VS Code's Python extension is loaded.
  VS Code renders background-thread updates, so nothing changes in Python; the board's colours come
  from VS Code's ``--vscode-*`` CSS variables (the frontend sees ``body[data-vscode-theme-kind]``).
- anything else: ``"jupyter"`` (JupyterLab, Notebook 7, nbclassic, Voila...) or ``"terminal"`` when
  there is no IPython kernel at all.

``CELLBOARD_HOST`` (``colab``, ``vscode``, ``jupyter``) overrides the detection.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping

HOSTS = ("colab", "vscode", "jupyter", "terminal")

_COLAB_ENV = ("COLAB_RELEASE_TAG", "COLAB_GPU", "COLAB_BACKEND_VERSION", "COLAB_JUPYTER_IP")
_COLAB_MODULES = ("google.colab",)
_VSCODE_ENV = ("VSCODE_PID", "VSCODE_CWD", "VSCODE_IPC_HOOK_CLI")
_VSCODE_MODULES = ("vscode_datascience_helpers",)


def detect_host(environ: Mapping[str, str] | None = None, modules: Mapping[str, object] | None = None) -> str:
    """``"colab"``, ``"vscode"``, ``"jupyter"`` or ``"terminal"``, from ``environ`` and ``modules``
    (``os.environ`` and ``sys.modules`` by default)."""
    env = os.environ if environ is None else environ
    mods = sys.modules if modules is None else modules
    forced = env.get("CELLBOARD_HOST", "").strip().lower()
    if forced in HOSTS:
        return forced
    # Colab first: a VS Code window connected to a Colab runtime still renders through Colab's rules
    if any(m in mods for m in _COLAB_MODULES) or any(k in env for k in _COLAB_ENV):
        return "colab"
    if any(k in env for k in _VSCODE_ENV) or any(m in mods for m in _VSCODE_MODULES):
        return "vscode"
    if _in_kernel(mods):
        return "jupyter"
    return "terminal"


def _in_kernel(mods: Mapping[str, object]) -> bool:
    if "ipykernel" not in mods:
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel depends on IPython
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def host() -> str:
    """The host of this process (detected once per call: cheap, and tests may change it)."""
    return detect_host()


def sends_from_main_thread_only(host_name: str | None = None) -> bool:
    """Whether widget messages must come from the thread that runs cells to be rendered."""
    return (host_name or host()) == "colab"


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


COLAB_FOLLOW_HINT = (
    "cellboard: Colab shows widget updates only from the running cell's own thread, so this "
    "board will not update while following in the background; put %%cellboard LOGDIR on the "
    "first line of the cell that trains instead."
)


def background_follow_hint(host_name: str | None = None) -> str | None:
    """The one-line hint to print when a board follows a directory from a background thread, or None."""
    return COLAB_FOLLOW_HINT if sends_from_main_thread_only(host_name) else None
