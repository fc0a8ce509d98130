"""``cellboard.patch()``: every torch/tensorboardX ``SummaryWriter`` a library creates feeds one board.

Lightning's ``TensorBoardLogger``, Hugging Face's ``Trainer(report_to="tensorboard")``, Ray Tune,
fastai and most other frameworks create ``torch.utils.tensorboard.SummaryWriter`` (or
``tensorboardX.SummaryWriter``) themselves. After ``patch()`` those names are cellboard's writer:
the same event files are written where the library asks, and every writer also feeds the board
``patch()`` displayed, one run per log directory (named relative to ``root``, the current
directory by default, as TensorBoard's ``--logdir root`` names them). ``unpatch()`` restores them.

What is rebound, and what cannot be:

- ``torch.utils.tensorboard.SummaryWriter``, ``torch.utils.tensorboard.writer.SummaryWriter``,
  ``tensorboardX.SummaryWriter`` and ``tensorboardX.writer.SummaryWriter``, so code that imports the
  name after ``patch()`` (Lightning does, when its logger first creates its writer; transformers'
  ``TensorBoardCallback`` does when it is created, i.e. when the ``Trainer`` is) gets cellboard's.
- Every already-imported module (your notebook's namespace included) whose global is one of those
  classes, under any name: ``from torch.utils.tensorboard import SummaryWriter`` run before
  ``patch()`` is covered. A module that defines a *subclass* of torch's class is left alone (its
  methods may call the original's explicitly), and so are the subclasses themselves.
- Not covered: an object that already holds the class or a writer (a ``Trainer`` created before
  ``patch()`` keeps its ``TensorBoardCallback``'s class; a logger whose writer exists keeps it), and
  references kept in containers. Create those after ``patch()``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import warnings
from typing import Any

from ..fs import is_url, local_path, redact
from ..writer import SummaryWriter as _CellboardWriter
from ..writer import default_log_dir

_TARGETS = (
    ("torch.utils.tensorboard", "SummaryWriter"),
    ("torch.utils.tensorboard.writer", "SummaryWriter"),
    ("tensorboardX", "SummaryWriter"),
    ("tensorboardX.writer", "SummaryWriter"),
)

_lock = threading.RLock()
_state: _Patch | None = None


class _Patch:
    def __init__(self, board, root: str) -> None:
        self.board = board
        self.root = root
        self.rebound: list[tuple[object, str, type, type]] = []  # (module, name, original, replacement)
        self.classes: tuple[type, type] | None = None  # (torch's, tensorboardX's) replacement classes


def run_name(log_dir, root: str) -> str:
    """A writer's run on the patched board: its log directory relative to ``root`` (TensorBoard's
    naming for ``--logdir root``), or the whole path when it lies elsewhere."""
    s = os.fspath(log_dir)
    if is_url(s):
        return redact(s)
    path = os.path.abspath(local_path(s))
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive
        return path
    if rel == os.curdir:
        return os.path.basename(path) or path
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return path
    return rel.replace(os.sep, "/")


def _writer_classes(state: _Patch) -> tuple[type, type]:
    """cellboard writers feeding ``state``'s board, with torch's and tensorboardX's constructors."""
    store = state.board.store

    class SummaryWriter(_CellboardWriter):
        """cellboard's SummaryWriter, installed by ``cellboard.patch()`` in place of torch's."""

        def __init__(
            self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix="", **kwargs
        ) -> None:
            if log_dir is None:
                log_dir = default_log_dir(comment if isinstance(comment, str) else "")
            if kwargs.get("store") is None:
                kwargs["store"] = store
                kwargs.setdefault("run", run_name(log_dir, state.root))
            super().__init__(log_dir, comment, purge_step, max_queue, flush_secs, filename_suffix, **kwargs)

    class TensorboardXSummaryWriter(SummaryWriter):
        """cellboard's SummaryWriter with tensorboardX's constructor (``logdir``, ``write_to_disk``...)."""

        def __init__(
            self,
            logdir=None,
            comment="",
            purge_step=None,
            max_queue=10,
            flush_secs=120,
            filename_suffix="",
            write_to_disk=True,
            log_dir=None,
            comet_config=None,
            **kwargs,
        ) -> None:
            if logdir is None:
                logdir = log_dir
            if not write_to_disk:
                warnings.warn(
                    "cellboard.patch(): tensorboardX's write_to_disk=False is not supported; event files are written",
                    stacklevel=2,
                )
            super().__init__(logdir, comment, purge_step, max_queue, flush_secs, filename_suffix, **kwargs)

        def add_scalar(
            self, tag, scalar_value, global_step=None, walltime=None, display_name="", summary_description=""
        ) -> None:
            if display_name == "" and summary_description == "":
                super().add_scalar(tag, scalar_value, global_step, walltime)
            else:
                self._add_described_scalar(tag, scalar_value, global_step, walltime, display_name, summary_description)

        # tensorboardX's signature (``name``, not torch's ``run_name``), for code written against it: a
        # deliberate difference from the base class, which has torch's
        def add_hparams(  # type: ignore[override]
            self, hparam_dict, metric_dict, name=None, global_step=None
        ) -> None:
            super().add_hparams(hparam_dict, metric_dict, run_name=name, global_step=global_step)

    for cls, qual in ((SummaryWriter, "SummaryWriter"), (TensorboardXSummaryWriter, "TensorboardXSummaryWriter")):
        cls.__module__ = __name__
        cls.__qualname__ = qual
    TensorboardXSummaryWriter.__name__ = "SummaryWriter"
    return SummaryWriter, TensorboardXSummaryWriter


def _originals() -> dict[type, str]:
    """torch's and tensorboardX's SummaryWriter classes that are imported: ``{class: "torch"|"tensorboardX"}``."""
    out: dict[type, str] = {}
    for mod_name, attr in _TARGETS:
        mod = sys.modules.get(mod_name)
        if mod is None and importlib.util.find_spec(mod_name.split(".")[0]) is not None:
            try:  # imported now, so that a library importing it later gets the patched name
                mod = importlib.import_module(mod_name)
            except Exception:  # noqa: BLE001 - e.g. torch without the tensorboard package: nothing to patch
                mod = None
        cls = getattr(mod, attr, None) if mod is not None else None
        if isinstance(cls, type) and not issubclass(cls, _CellboardWriter):
            out[cls] = mod_name.split(".")[0]
    return out


def _defines_subclass(mod, originals: dict[type, str]) -> bool:
    name = getattr(mod, "__name__", None)
    for v in list(vars(mod).values()):
        if isinstance(v, type) and v.__module__ == name and v not in originals:
            try:
                if any(base in originals for base in v.__mro__[1:]):
                    return True
            except TypeError:
                continue
    return False


def _rebind(state: _Patch, replacements: dict[type, type], originals: dict[type, str]) -> None:
    with warnings.catch_warnings():  # deprecated module attributes warn when merely looked at
        warnings.simplefilter("ignore")
        _rebind_modules(state, replacements, originals)


def _rebind_modules(state: _Patch, replacements: dict[type, type], originals: dict[type, str]) -> None:
    for mod in list(sys.modules.values()):
        d = getattr(mod, "__dict__", None)
        if not isinstance(d, dict):
            continue
        try:
            hits = [(k, v) for k, v in list(d.items()) if isinstance(v, type) and v in replacements]
        except TypeError:  # a class whose metaclass breaks hashing
            continue
        if not hits or _defines_subclass(mod, originals):
            continue
        for k, v in hits:
            d[k] = replacements[v]
            state.rebound.append((mod, k, v, replacements[v]))


def patch(
    board=None,
    *,
    show: bool = True,
    root: str | os.PathLike | None = None,
    height: int | None = None,
    tags: str | None = None,
) -> None:
    """From now on, every torch/tensorboardX ``SummaryWriter`` is cellboard's and feeds one board.

    The board (``board``, or a new one) is displayed here (``show=False``: not displayed; get it
    with ``cellboard.integrations.patched_board()``). Each writer's run is its log directory
    relative to ``root`` (default: the current directory). Calling ``patch()`` again starts a new
    board (writers created before keep feeding the old one). ``unpatch()`` restores the classes.
    """
    global _state
    from ..board import Board

    with _lock:
        if _state is not None:
            unpatch()
        options: dict[str, Any] = {"title": "cellboard.patch()"}
        if height is not None:
            options["height"] = int(height)
        if tags:
            options["tag_filter"] = tags
        if board is None:
            board = Board(**options)
        root_dir = os.path.abspath(local_path(os.fspath(root))) if root else os.getcwd()
        state = _Patch(board, root_dir)
        ours, ours_tbx = _writer_classes(state)
        originals = _originals()
        replacements = {cls: (ours if lib == "torch" else ours_tbx) for cls, lib in originals.items()}
        _rebind(state, replacements, originals)
        state.classes = (ours, ours_tbx)
        _state = state
    if show:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        if get_ipython() is not None:
            board.show()


def unpatch() -> None:
    """Restore torch's and tensorboardX's ``SummaryWriter`` everywhere ``patch()`` replaced them.

    Writers created while patched keep working (and feeding the board)."""
    global _state
    with _lock:
        state, _state = _state, None
        if state is None:
            return
        for mod, name, original, replacement in reversed(state.rebound):
            d = getattr(mod, "__dict__", None)
            if isinstance(d, dict) and d.get(name) is replacement:
                d[name] = original


def patched_board():
    """The board ``patch()`` feeds, or None when not patched."""
    state = _state
    return None if state is None else state.board


def is_patched() -> bool:
    return _state is not None


__all__ = ["is_patched", "patch", "patched_board", "run_name", "unpatch"]
