"""Lightning's ``Trainer.fit`` with ``TensorBoardLogger`` shows live on a ``cellboard.patch()`` board."""

from __future__ import annotations

import os

import pytest

import cellboard
from cellboard import integrations

pytest.importorskip("torch.utils.tensorboard")
L = pytest.importorskip("lightning.pytorch")
import torch  # noqa: E402
from _boardwait import points_on_patched_board  # noqa: E402
from lightning.pytorch.loggers import TensorBoardLogger  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


class Tiny(L.LightningModule):
    def __init__(self, lr: float = 0.05) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(4, 1)

    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


class SeesTheBoard(L.Callback):
    """Mid-training (second epoch), the patched board's store already holds the first epoch's points."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def on_train_epoch_start(self, trainer, module) -> None:
        if trainer.current_epoch != 1:
            return
        self.seen.append(points_on_patched_board("train_loss"))


def _fit(save_dir: str, callbacks=()) -> str:
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x.sum(1, keepdim=True)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    logger = TensorBoardLogger(save_dir=save_dir, name="exp")
    trainer = L.Trainer(
        max_epochs=3,
        logger=logger,
        log_every_n_steps=1,
        accelerator="cpu",
        devices=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=list(callbacks),
    )
    trainer.fit(Tiny(), data, data)
    return logger.log_dir


def _layout(log_dir: str) -> list[str]:
    return sorted("events.out.tfevents.*" if n.startswith("events.out.tfevents.") else n for n in os.listdir(log_dir))


def _tags(log_dir: str) -> dict:
    ea = EventAccumulator(log_dir)
    ea.Reload()
    tags = ea.Tags()
    return {
        "scalars": sorted(tags["scalars"]),
        "tensors": sorted(tags["tensors"]),
        "hparams": sorted(ea.PluginTagToContent("hparams")),
        "steps": {t: [e.step for e in ea.Scalars(t)] for t in tags["scalars"]},
    }


def test_lightning_fit_feeds_the_board_live_and_writes_the_same_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plain_dir = _fit("plain")
    cellboard.patch(show=False)
    try:
        board = integrations.patched_board()
        watcher = SeesTheBoard()
        patched_dir = _fit("patched", [watcher])
    finally:
        cellboard.unpatch()
    assert watcher.seen and watcher.seen[0] >= 4, "the board had the first epoch's losses while fit() ran"
    run = "patched/exp/version_0"
    assert board.store.runs == [run]
    assert len(board.store.scalars(run, "train_loss")) == 12 and len(board.store.scalars(run, "val_loss")) == 3
    (session,) = board.store.hparams(run)
    assert session.hparams == {"lr": 0.05} and session.metrics == ["hp_metric"]
    # the files: what Lightning writes with torch's writer, and TensorBoard reads them
    assert _layout(patched_dir) == _layout(plain_dir) == ["events.out.tfevents.*", "hparams.yaml"]
    assert _tags(patched_dir) == _tags(plain_dir)
    assert "epoch" in _tags(patched_dir)["scalars"]
