"""The kinds registry: one module per kind, in TensorBoard's dashboard order, routed by plugin."""

from __future__ import annotations

from cellboard import kinds
from cellboard.tfevents import messages as M

# The same list is pinned in js/test/protocol.test.ts for the frontend's registry.
DASHBOARD_ORDER = [
    "plots",
    "scalars",
    "custom_scalars",
    "images",
    "audio",
    "graph",
    "histograms",
    "text",
    "pr_curves",
    "hparams",
    "embeddings",  # the Projector tab
    "mesh",
]


def test_registry_names_and_order():
    assert [k.name for k in kinds.KINDS if k.board] == DASHBOARD_ORDER
    assert kinds.for_value("tensor", "cellboard_model_summary").name == "graph"  # add_graph's summary table
    assert [n for n in kinds.RECORD_KINDS if kinds.BY_NAME[n].board] == [n for n in DASHBOARD_ORDER if n != "scalars"]
    assert "graph" in kinds.RECORD_KINDS
    # add_embedding's projector files: stored, loaded and sent to the Projector tab
    assert {"mesh", "embeddings"} <= set(kinds.RECORD_KINDS)
    assert all(k.entry is not None for k in kinds.KINDS if not k.columnar and k.board)  # the board's kinds


def test_values_are_routed_by_legacy_field_then_plugin():
    assert kinds.for_value("simple_value", "").name == "scalars"
    assert kinds.for_value("image", "").name == "images"
    assert kinds.for_value("histo", "histograms").name == "histograms"
    assert kinds.for_value("audio", "").name == "audio"
    for plugin in ("scalars", "images", "histograms", "text", "pr_curves", "hparams", "custom_scalars", "audio"):
        assert kinds.for_value("tensor", plugin).plugins[0] == plugin
    assert kinds.for_value("tensor", "cellboard_plots").name == "plots"
    assert kinds.for_value("tensor", "mesh").name == "mesh"
    assert kinds.BY_NAME["embeddings"].plugins == ()  # projector files, never an event value
    for plugin in ("graph_keras_model", "graph_run_metadata_graph", "graph_run_metadata"):  # Keras', traces
        assert kinds.for_value("tensor", plugin).name == "graph"
    assert kinds.for_value("tensor", "some_other_plugin") is None  # no kind: skipped, not an error


def test_each_kind_decodes_what_it_encodes():
    """encode (the writer's side) and decode (the reader's side) of one module agree."""
    import numpy as np

    from cellboard import summaries as S
    from cellboard.kinds import custom_scalars, hparams, pr_curves, text

    def values(event: bytes) -> list[M.Value]:
        ev = M.decode_event(event)
        return M.decode_summary(ev.summary)

    ev, rec = text.encode("t/text_summary", "**hi**", 3, 1.5)
    (v,) = values(ev)
    assert text.decode(v, "text", 3, 1.5) == [rec]

    data = S.pr_curve_counts(np.array([0, 1, 1]), np.array([0.2, 0.7, 0.9]), 5)
    ev, rec = pr_curves.encode("pr", data, 2, 1.0)
    (v,) = values(ev)
    (back,) = pr_curves.decode(v, "pr_curves", 2, 1.0)
    np.testing.assert_array_equal(back.data, rec.data)

    ev, rec = custom_scalars.encode({"c": {"m": ["Margin", ["a", "b", "c"]]}}, 1.0)
    (v,) = values(ev)
    assert custom_scalars.decode(v, "custom_scalars", 0, 1.0)[0].layout == rec.layout

    out = hparams.encode({"lr": 0.5, "n": 3, "opt": "sgd"}, ["acc"], {"opt": ["sgd", "adam"]}, 1.0, 0)
    decoded = {tag: hparams.decode(values(ev)[0], "hparams", 0, 1.0) for tag, ev, _ in out}
    assert decoded[hparams.SESSION_START_TAG][0].hparams == {"lr": 0.5, "n": 3, "opt": "sgd"}
    assert decoded[hparams.EXPERIMENT_TAG][0].metrics == ["acc"]
    assert decoded[hparams.EXPERIMENT_TAG][0].domains == {"opt": ["sgd", "adam"]}
