"""cellboard.summary: torchsummaryX's table; its figures equal torchinfo's on the same models."""

from __future__ import annotations

import pytest

import cellboard

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")
nn = torch.nn


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU()),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 13 * 13, 10))
        self.features[0].weight.requires_grad_(False)  # frozen weights count as non-trainable

    def forward(self, x):
        return self.head(self.features(x))


class RNN(nn.Module):
    """LSTM and GRU, a dict output and a tuple-returning recurrent layer."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 12)
        self.lstm = nn.LSTM(12, 20, num_layers=2, batch_first=True)
        self.gru = nn.GRU(20, 10, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(20, 4)

    def forward(self, tokens):
        out, (h, _c) = self.lstm(self.emb(tokens))
        out, _ = self.gru(out)
        return {"logits": self.fc(out), "hidden": h}


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Linear(6, 6)
        self.out = nn.Linear(6, 2)

    def forward(self, x, scale=1.0):
        return self.out(self.block(torch.relu(self.block(x))) * scale), x


MODELS = {
    "cnn": (CNN, lambda: torch.randn(2, 1, 28, 28)),
    "rnn": (RNN, lambda: torch.randint(0, 100, (3, 9))),
    "transformer": (lambda: nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), lambda: torch.randn(2, 7, 32)),
    "shared": (Shared, lambda: torch.randn(5, 6)),
}


def _leaf_figures(rows):
    return [(r.type, r.params, r.mult_adds) for r in rows]


@pytest.mark.parametrize("case", sorted(MODELS))
def test_figures_equal_torchinfos(case):
    make, make_input = MODELS[case]
    torch.manual_seed(0)
    model, x = make(), make_input()
    ours = cellboard.summary(model, x)
    theirs = torchinfo.summary(model, input_data=x, verbose=0)
    assert ours.total_params == theirs.total_params
    assert ours.trainable_params == theirs.trainable_params
    assert ours.mult_adds == theirs.total_mult_adds > 0
    assert ours.activation_bytes == theirs.total_output_bytes
    # input memory: the tensors' bytes (torchinfo's adds sys.getsizeof's object overhead)
    assert ours.input_bytes == x.nelement() * x.element_size() <= theirs.total_input <= ours.input_bytes + 200
    # parameter memory: every parameter once (torchinfo's misses parameters of non-leaf modules)
    assert ours.param_bytes == sum(p.nelement() * p.element_size() for p in model.parameters())
    # torchinfo's counts the leaf modules that ran as modules: MultiheadAttention's are all missed
    missed = sum(
        p.nelement() * p.element_size()
        for m in model.modules()
        if isinstance(m, nn.MultiheadAttention)
        for p in m.parameters()
    )
    assert ours.param_bytes == theirs.total_param_bytes + missed
    assert (missed > 0) == (case == "transformer")
    # per call of each leaf module: type, parameters, mult-adds, output shape (torchinfo's first tensor)
    leaves = [r for r in ours.rows if r.leaf]
    infos = [i for i in theirs.summary_list if i.is_leaf_layer and i.executed]
    assert _leaf_figures(leaves) == [(i.class_name, i.num_params, i.macs) for i in infos]
    for row, info in zip(leaves, infos):
        first = row.output_shapes
        while not (isinstance(first, tuple) and all(isinstance(d, int) for d in first)):
            first = list(first.values())[-1] if isinstance(first, dict) else first[0]
        assert list(first) == info.output_size
        assert row.shared == info.is_recursive
        if "weight" in info.inner_layers:
            assert (
                str(list(row.kernel_shape)) == info.inner_layers["weight"][torchinfo.enums.ColumnSettings.KERNEL_SIZE]
            )


def test_rows_names_shapes_and_shared_modules():
    s = cellboard.summary(Shared(), torch.randn(5, 6), scale=2.0)
    assert [(r.name, r.type, r.depth, r.shared) for r in s.rows] == [
        ("", "Shared", 0, False),
        ("block", "Linear", 1, False),
        ("block", "Linear", 1, True),
        ("out", "Linear", 1, False),
    ]
    assert s.rows[0].input_shapes == ((5, 6), {"scale": None})  # keyword arguments are shown by name
    assert s.rows[0].output_shapes == ((5, 2), (5, 6))
    assert s.total_params == 6 * 6 + 6 + 6 * 2 + 2  # the shared block counts once
    assert s.mult_adds == 2 * 5 * 42 + 5 * 14  # ... but runs twice

    r = cellboard.summary(RNN(), torch.randint(0, 100, (3, 9)))
    by_name = {row.name: row for row in r.rows}
    assert by_name["lstm"].output_shapes == ((3, 9, 20), ((2, 3, 20), (2, 3, 20)))
    assert by_name["gru"].output_shapes == ((3, 9, 20), (2, 3, 10))
    assert by_name[""].output_shapes == {"logits": (3, 9, 4), "hidden": (2, 3, 20)}
    assert by_name["emb"].kernel_shape == (12, 100)

    c = cellboard.summary(CNN(), torch.randn(2, 1, 28, 28))
    conv = next(row for row in c.rows if row.name == "features.0")
    assert (conv.depth, conv.params, conv.trainable, conv.frozen) == (2, 80, 8, 72)
    assert conv.kernel_shape == (1, 8, 3, 3)
    assert [row.name for row in c.rows][:3] == ["", "features", "features.0"]
    assert c.frozen_params == 72


def test_input_size_makes_a_batch_and_restores_training_mode():
    model = CNN().train()
    s = cellboard.summary(model, input_size=(1, 28, 28))
    assert model.training
    assert s.rows[0].input_shapes == (1, 1, 28, 28)
    assert s.rows[-1].output_shapes == (1, 10)
    two = cellboard.summary(model, input_size=(1, 28, 28), batch_size=2)
    assert two.rows[-1].output_shapes == (2, 10)
    emb = cellboard.summary(nn.Embedding(10, 3), input_size=(4,), dtypes=[torch.long])
    assert emb.rows[0].output_shapes == (1, 4, 3)


def test_text_html_and_pandas():
    s = cellboard.summary(CNN(), torch.randn(2, 1, 28, 28))
    text = str(s)
    assert "features.4.0" in text and "Conv2d" in text and "Total params: " + f"{s.total_params:,}" in text
    assert "[2, 16, 13, 13]" in text and "Mult-adds" in text and repr(s) == text
    page = s._repr_html_()
    assert page.startswith("<div") and "<table>" in page and "features.4.0" in page and "Trainable params" in page
    assert len(s.records()) == len(s.rows)
    pd = pytest.importorskip("pandas")
    df = s.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(s.COLUMNS) and len(df) == len(s.rows)
    assert df["params"].sum() == s.total_params


def test_errors():
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        cellboard.summary("model", torch.randn(1))
    with pytest.raises(TypeError, match="example inputs"):
        cellboard.summary(CNN())
    with pytest.raises(TypeError, match="not both"):
        cellboard.summary(CNN(), torch.randn(1, 1, 28, 28), input_size=(1, 28, 28))
    model = CNN().train()
    with pytest.raises(RuntimeError) as err:
        cellboard.summary(model, torch.randn(1, 3, 28, 28))
    assert "'features.0' (Conv2d)" in "".join(getattr(err.value, "__notes__", []))
    assert model.training
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())  # hooks removed
