"""Hugging Face's ``Trainer(report_to="tensorboard")`` shows live on a ``cellboard.patch()`` board.

A tiny BERT built from a config (2 layers, hidden 32) on random token ids: nothing is downloaded.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import cellboard
from cellboard import integrations

pytest.importorskip("torch.utils.tensorboard")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
import torch  # noqa: E402
from _boardwait import points_on_patched_board  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


class RandomTokens(torch.utils.data.Dataset):
    def __init__(self, n: int = 32, length: int = 8, vocab: int = 50) -> None:
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, vocab, (n, length), generator=g)
        self.labels = torch.randint(0, 2, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones_like(self.ids[i]), "labels": self.labels[i]}


class SeesTheBoard(transformers.TrainerCallback):
    """Mid-training (after logging step 4), the patched board's store holds the logged losses."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step != 5:
            return
        self.seen.append(points_on_patched_board("train/loss"))


def _train(output_dir: str, callbacks=()) -> str:
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = transformers.BertForSequenceClassification(config)
    logging_dir = os.path.join(output_dir, "tb")
    args = transformers.TrainingArguments(
        output_dir=output_dir,
        report_to=["tensorboard"],
        logging_steps=2,
        max_steps=8,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        eval_strategy="steps",
        eval_steps=4,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=0,
        **(
            {"logging_dir": logging_dir} if "logging_dir" in transformers.TrainingArguments.__dataclass_fields__ else {}
        ),
    )
    os.environ["TENSORBOARD_LOGGING_DIR"] = logging_dir
    try:
        trainer = transformers.Trainer(
            model=model,
            args=args,
            train_dataset=RandomTokens(),
            eval_dataset=RandomTokens(8),
            callbacks=list(callbacks),
        )
        trainer.train()
    finally:
        del os.environ["TENSORBOARD_LOGGING_DIR"]
    return logging_dir


def _tags(log_dir: str) -> dict:
    ea = EventAccumulator(log_dir)
    ea.Reload()
    tags = ea.Tags()
    return {
        "scalars": sorted(tags["scalars"]),
        "tensors": sorted(tags["tensors"]),
        "steps": {t: [e.step for e in ea.Scalars(t)] for t in tags["scalars"]},
    }


def test_trainer_feeds_the_board_live_and_writes_the_same_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plain = _train("plain")
    cellboard.patch(show=False)
    try:
        board = integrations.patched_board()
        watcher = SeesTheBoard()
        patched = _train("patched", [watcher])  # the Trainer (and its TensorBoardCallback) made after patch()
    finally:
        cellboard.unpatch()
    assert watcher.seen and watcher.seen[0] >= 2, "the board had the losses while train() ran"
    run = "patched/tb"
    assert board.store.runs == [run]
    assert board.store.scalars(run, "train/loss").steps.tolist() == [2, 4, 6, 8]
    assert len(board.store.scalars(run, "eval/loss")) == 2
    assert {"args", "model_config"} <= {t.split("/")[0] for t in board.store.tags(run)["text"]}
    theirs, ours = _tags(plain), _tags(patched)
    assert ours == theirs
    assert "train/loss" in ours["scalars"] and "args/text_summary" in ours["tensors"]
