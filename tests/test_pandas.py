"""``to_pandas()`` on a series and on a whole store, as tbparse users expect; pandas optional."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import cellboard

pd = pytest.importorskip("pandas")


@pytest.fixture
def logs(tmp_path):
    for run, scale in (("a", 1.0), ("b", 2.0)):
        with cellboard.SummaryWriter(tmp_path / run) as w:
            for i in range(5):
                w.add_scalar("loss", scale * i, i)
                w.add_scalar("acc", 0.1 * i, i * 10)
            w.add_text("note", "hi")
    return cellboard.load(tmp_path)


def test_series_to_pandas(logs):
    df = logs.scalars("a", "loss").to_pandas()
    assert list(df.columns) == ["step", "wall_time", "value"]
    assert df["step"].tolist() == [0, 1, 2, 3, 4] and df["value"].tolist() == [0, 1, 2, 3, 4]
    assert df["step"].dtype == np.int64 and df["wall_time"].dtype == np.float64


def test_store_to_pandas_is_one_long_frame(logs):
    df = logs.to_pandas()
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert len(df) == 20
    assert df[(df.run == "b") & (df.tag == "loss")]["value"].tolist() == [0, 2, 4, 6, 8]
    assert df[(df.run == "a") & (df.tag == "acc")]["step"].tolist() == [0, 10, 20, 30, 40]
    pivot = df.pivot_table(index="step", columns=["run", "tag"], values="value")
    assert pivot[("b", "loss")].loc[3] == 6


def test_empty_store(tmp_path):
    df = cellboard.Store().to_pandas()
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"] and len(df) == 0


def test_live_writer_store(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "live")
    w.add_scalar("x", 1.5, 7)
    w.flush()
    assert w.store.to_pandas()[["run", "tag", "step", "value"]].values.tolist() == [["live", "x", 7, 1.5]]
    w.close()


def test_without_pandas_the_error_says_how_to_get_it(logs, monkeypatch):
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        logs.to_pandas()
    with pytest.raises(ImportError, match="pip install pandas"):
        logs.scalars("a", "loss").to_pandas()
