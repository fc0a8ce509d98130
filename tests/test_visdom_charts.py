"""cellboard.Visdom's structured windows (dual-axis lines, sunburst, network graph, embeddings) and
its env / window-data calls (fork_env, set_window_data): what each logs, what a re-opened log
shows, and the errors that name the argument."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import cellboard
from cellboard import Visdom
from cellboard.visdom import windows
from cellboard.visdom.charts import pca_plane, spring_layout


@pytest.fixture
def viz(tmp_path):
    v = Visdom(log_dir=tmp_path)
    yield v
    v.disconnect()


def reopened(viz, tmp_path, env="main"):
    viz.flush()
    return windows(cellboard.load(tmp_path), env)


# ------------------------------------------------------------------ dual-axis lines


def test_dual_axis_lines_window_and_its_scalars(viz, tmp_path):
    x = np.arange(5.0)
    win = viz.dual_axis_lines(x, x**2, -x, opts={"name_y1": "loss", "name_y2": "lr", "side": "left"}, win="d")
    assert win == "d"
    w = reopened(viz, tmp_path)["d"]
    assert w["type"] == "dual_axis_lines" and w["rows"] == 5
    np.testing.assert_array_equal(w["data"], np.concatenate([x, x**2, -x]))
    assert w["opts"]["side"] == "left" and w["opts"]["showlegend"] is True
    # both lines are scalars too, so TensorBoard plots them
    logs = cellboard.load(tmp_path)
    np.testing.assert_array_equal(logs.scalars("main", "d/loss").values, x**2)
    np.testing.assert_array_equal(logs.scalars("main", "d/lr").values, -x)


def test_dual_axis_lines_defaults_and_same_names_keep_both_lines(viz):
    viz.dual_axis_lines([1, 2], [3, 4], [5, 6], opts={"name_y1": "v", "name_y2": "v"}, win="same")
    viz.dual_axis_lines([1, 2], [3, 4], [5, 6], win="plain")
    viz.flush()
    assert {"same/v", "same/v (Y2)"} <= set(viz.store.tags("main")["scalars"])
    opts = json.loads(viz.get_window_data("plain"))["opts"]
    assert (opts["name_y1"], opts["name_y2"], opts["side"]) == ("Y1 axis", "Y2 axis", "right")


@pytest.mark.parametrize(
    ("args", "opts", "match"),
    [
        (([1, 2], [1, 2, 3], [1, 2]), None, "Y1 should have the shape of X"),
        (([1, 2], [1, 2], [1]), None, "Y2 should have the shape of X"),
        (([1, 2], None, [1, 2]), None, "X, Y1 and Y2"),
        (([1, 2], [1, 2], [1, 2]), {"side": "top"}, "side"),
        (([1, 2], [1, 2], [1, 2]), {"showlegend": "yes"}, "showlegend"),
        (([1, 2], [1, 2], [1, 2]), {"color_tick_y2": 3}, "color_tick_y2"),
    ],
)
def test_dual_axis_lines_bad_input(viz, args, opts, match):
    with pytest.raises(ValueError, match=match):
        viz.dual_axis_lines(*args, opts=opts)


# ------------------------------------------------------------------ sunburst


def test_sunburst_window(viz, tmp_path):
    labels = np.array(["Eve", "Cain", "Seth", "Enos"])
    parents = np.array(["", "Eve", "Eve", "Seth"])
    viz.sunburst(labels, parents, np.array([10, 14, 12, 10]), win="sb", opts={"size": 14, "marker_width": 2})
    viz.sunburst(["a", "b"], ["", "a"], win="counts")
    w = reopened(viz, tmp_path)
    assert w["sb"]["labels"] == list(labels) and w["sb"]["parents"] == list(parents)
    assert w["sb"]["has_values"] is True and w["sb"]["rows"] == 4
    np.testing.assert_array_equal(w["sb"]["data"], [10, 14, 12, 10])
    # Visdom's code reads opts "size" and "marker_width"; the README names them font_size, line_width
    assert w["sb"]["opts"]["font_size"] == 14 and w["sb"]["opts"]["line_width"] == 2
    assert w["counts"]["has_values"] is False and "data" not in w["counts"]


@pytest.mark.parametrize(
    ("labels", "parents", "values", "match"),
    [
        (["a", "b"], [""], None, "parents should have one entry per label"),
        (["a", "a"], ["", ""], None, "labels must be unique"),
        (["a", "b"], ["", "c"], None, r"parents\[1\] is 'c'"),
        (["a", "b", "c"], ["c", "a", "b"], None, "cycle"),
        (["a", ""], ["", "a"], None, r"labels\[1\] is empty"),
        (["a", "b"], ["", "a"], [1, -1], "non-negative"),
        (["a", "b"], ["", "a"], [1], "one entry per label"),
        ("ab", ["", "a"], None, "labels must be a list"),
    ],
)
def test_sunburst_bad_input(viz, labels, parents, values, match):
    with pytest.raises(ValueError, match=match):
        viz.sunburst(labels, parents, values)


def test_sunburst_bad_opts(viz):
    with pytest.raises(ValueError, match="opacity"):
        viz.sunburst(["a"], [""], opts={"opacity": 2})
    with pytest.raises(ValueError, match="font_color"):
        viz.sunburst(["a"], [""], opts={"font_color": 1})


# ------------------------------------------------------------------ network graph


def test_graph_window_with_labels_and_layout(viz, tmp_path):
    edges = [[0, 1], [1, 2], [2, 0], [2, 3]]
    viz.graph(edges, edgeLabels=["a", "b", "c", "d"], opts={"directed": True, "scheme": "different"}, win="g")
    viz.graph(edges, win="plain")
    w = reopened(viz, tmp_path)
    g = w["g"]
    assert (g["nodes"], g["edges"], g["edge_labels"], g["node_labels"]) == (
        4,
        4,
        ["a", "b", "c", "d"],
        ["0", "1", "2", "3"],
    )
    assert g["opts"] == {"directed": True, "showVertexLabels": False, "showEdgeLabels": False, "scheme": "different"}
    xy, ends = g["data"][:8].reshape(2, 4), g["data"][8:].reshape(2, 4)
    assert ((xy >= 0) & (xy <= 1)).all()
    np.testing.assert_array_equal(ends, [[0, 1, 2, 2], [1, 2, 0, 3]])
    assert w["plain"]["edge_labels"] == ["0-1", "1-2", "2-0", "2-3"]
    np.testing.assert_array_equal(w["plain"]["data"], g["data"])  # the same graph: the same layout


def test_graph_node_labels_may_add_isolated_nodes(viz):
    viz.graph([[0, 1]], nodeLabels=["x", "y", "alone"], win="g")
    st = json.loads(viz.get_window_data("g"))
    assert st["nodes"] == 3 and st["node_labels"] == ["x", "y", "alone"]


def test_spring_layout_separates_clusters_and_stays_in_the_unit_square():
    # two 5-cliques joined by one edge: nodes of a clique end up closer to each other than to the other clique
    a = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    b = [(i + 5, j + 5) for i, j in a]
    e = np.array(a + b + [(0, 5)])
    pos = spring_layout(10, e[:, 0], e[:, 1])
    assert pos.shape == (10, 2) and pos.min() >= 0 and pos.max() <= 1
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    within = np.mean(
        [d[i, j] for i in range(5) for j in range(5) if i != j]
        + [d[i, j] for i in range(5, 10) for j in range(5, 10) if i != j]
    )
    between = d[:5, 5:].mean()
    assert within < between / 2
    np.testing.assert_array_equal(pos, spring_layout(10, e[:, 0], e[:, 1]))  # deterministic
    assert spring_layout(0, e[:0, 0], e[:0, 1]).shape == (0, 2)
    np.testing.assert_array_equal(spring_layout(1, e[:0, 0], e[:0, 1]), [[0.5, 0.5]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"edges": [[0, 1.5]]}, "node indices"),
        ({"edges": [[0, -1]]}, "node indices"),
        ({"edges": [0, 1, 2]}, "M x 2"),
        ({"edges": [[0, 1]], "edgeLabels": ["a", "b"]}, "edgeLabels should have one label per edge"),
        ({"edges": [[0, 3]], "nodeLabels": ["a", "b"]}, "nodeLabels should have one label per node"),
        ({"edges": [[0, 1]], "opts": {"scheme": "rainbow"}}, "scheme"),
        ({"edges": [[0, 1]], "opts": {"directed": 1}}, "directed"),
        ({"edges": [[0, 1]], "nodeLabels": [str(i) for i in range(20_001)]}, "at most 20000 nodes"),
    ],
)
def test_graph_bad_input(viz, kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.graph(**kwargs)


# ------------------------------------------------------------------ embeddings


def test_embeddings_log_a_projector_embedding_and_show_a_scatter(viz, tmp_path):
    rng = np.random.default_rng(0)
    # two clusters, far apart along one direction of 8 dims
    feats = np.concatenate([rng.normal(0, 0.1, (20, 8)), rng.normal(0, 0.1, (20, 8)) + 5])
    labels = ["cat"] * 20 + ["dog"] * 20
    viz.embeddings([f for f in feats], labels, win="emb")
    viz.flush()
    emb = viz.store.embeddings("main", "emb")
    assert len(emb) == 1 and emb[0].metadata == labels and emb[0].mat.shape == (40, 8)
    assert os.path.exists(tmp_path / "main" / "projector_config.pbtxt")
    w = reopened(viz, tmp_path)["emb"]
    assert w["type"] == "scatter" and [t["name"] for t in w["traces"]] == ["cat", "dog"]
    cat, dog = (np.column_stack([t["x"], t["y"]]) for t in w["traces"])
    # the first principal component separates the clusters
    assert cat[:, 0].max() < dog[:, 0].min() or dog[:, 0].max() < cat[:, 0].min()


def test_pca_plane_of_one_dim_and_one_row():
    np.testing.assert_allclose(pca_plane(np.array([[1.0], [3.0]])), [[-1, 0], [1, 0]], atol=1e-12)
    np.testing.assert_array_equal(pca_plane(np.array([[1.0, 2.0, 3.0]])), [[0, 0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"features": np.zeros((3, 2)), "labels": ["a"]}, "labels should have one entry per feature row"),
        ({"features": np.array([[np.nan, 1.0]]), "labels": ["a"]}, "finite"),
        ({"features": [np.zeros(2), np.zeros(3)], "labels": ["a", "b"]}, "same number of values"),
        ({"features": np.zeros(4), "labels": ["a"] * 4}, "N x D"),
        ({"features": np.zeros((1, 2)), "labels": ["a"], "data_getter": len}, "data_type must be 'html'"),
    ],
)
def test_embeddings_bad_input(viz, kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.embeddings(**kwargs)


# ------------------------------------------------------------------ fork_env


def test_fork_env_copies_windows_and_log_then_they_diverge(viz, tmp_path):
    viz.line(np.array([1.0, 2.0]), np.array([0, 1]), win="loss")
    viz.image(np.ones((3, 4, 4)), win="img")
    viz.text("hello", win="txt")
    viz.embeddings(np.eye(3), ["a", "b", "c"], win="emb")
    before = json.loads(viz.get_window_data())
    assert viz.fork_env("main", "fork") == "fork"
    assert json.loads(viz.get_window_data(env="fork")) == before
    assert "fork" in viz.get_env_list()
    # the envs go their own ways
    viz.line(np.array([3.0]), np.array([2]), win="loss", env="fork", update="append")
    viz.line(np.array([9.0]), np.array([2]), win="loss", update="append")
    assert json.loads(viz.get_window_data("loss", env="fork"))["traces"][0]["y"] == [1.0, 2.0, 3.0]
    assert json.loads(viz.get_window_data("loss"))["traces"][0]["y"] == [1.0, 2.0, 9.0]
    # the fork's directory holds its log: re-opened, it shows the same windows and summaries
    viz.flush()
    logs = cellboard.load(tmp_path)
    w = windows(logs, "fork")
    assert sorted(w) == ["emb", "img", "loss", "txt"]
    np.testing.assert_array_equal(w["loss"]["traces"][0]["y"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(logs.scalars("fork", "loss/1").values, [1.0, 2.0, 3.0])
    assert len(logs.images("fork", "img")) == 1 and len(logs.embeddings("fork", "emb")) == 1
    assert [r.text for r in logs.text("fork", "txt/text_summary")] == ["hello"]


def test_fork_env_refuses_what_it_cannot_copy(viz, tmp_path):
    viz.line(np.array([1.0]), np.array([0]), win="w")
    with pytest.raises(ValueError, match="prev_eid 'nope' is not an env"):
        viz.fork_env("nope", "x")
    with pytest.raises(ValueError, match="eid 'main' already exists"):
        viz.fork_env("main", "main")
    with pytest.raises(TypeError, match="eid"):
        viz.fork_env("main", 3)


# ------------------------------------------------------------------ set_window_data


def test_set_window_data_round_trips_every_window_type(viz, tmp_path):
    viz.line(np.array([[1.0, 2.0], [3.0, np.nan]]), np.array([0, 1]), win="line")
    viz.scatter(np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]]), np.array([1, 2]), win="scatter3d")
    viz.bar(np.array([[1.0, 2.0], [3.0, 4.0]]), win="bar")
    viz.heatmap(np.arange(6.0).reshape(2, 3), win="heat")
    viz.histogram(np.arange(10.0), win="hist", opts={"numbins": 4})
    viz.boxplot(np.arange(10.0), win="box")
    viz.pie(np.array([1.0, 2.0]), win="pie")
    viz.quiver(np.ones((2, 2)), np.ones((2, 2)), win="quiver")
    viz.text("hi", win="txt")
    viz.svg("<svg><circle r='2'/></svg>", win="svg")
    viz.dual_axis_lines([0, 1], [1, 2], [3, 4], win="dual")
    viz.sunburst(["a", "b"], ["", "a"], [1, 2], win="sun")
    viz.graph([[0, 1]], win="graph")
    viz.properties([{"type": "checkbox", "name": "c", "value": True}], win="props")
    every = json.loads(viz.get_window_data())
    for name, state in every.items():
        viz.set_window_data(json.dumps(state), win=f"{name}_copy")
        assert json.loads(viz.get_window_data(f"{name}_copy")) == state, name
    # win=None: every window from one dict; None closes a window
    viz.set_window_data({"line": None, "pie": every["bar"]})
    assert not viz.win_exists("line") and json.loads(viz.get_window_data("pie")) == every["bar"]
    w = reopened(viz, tmp_path)
    assert "line" not in w and w["pie"]["type"] == "bar"
    np.testing.assert_array_equal(w["line_copy"]["traces"][1]["y"], [2.0, np.nan])


def test_set_window_data_refuses_bad_data_and_changes_nothing(viz):
    viz.text("hi", win="txt")
    viz.pie(np.array([1.0, 2.0]), win="pie")
    every = json.loads(viz.get_window_data())
    # the text window shows a summary env "other" does not hold: nothing is set there
    with pytest.raises(ValueError, match="text summary 'txt/text_summary'"):
        viz.set_window_data({"pie": every["pie"], "txt": every["txt"]}, env="other")
    assert not viz.win_exists("pie", env="other")
    bad = [
        ("not json", "data is not JSON"),
        ({"type": "plotly"}, r"data\['type'\] must be one of"),
        ({**every["pie"], "data": [1.0]}, "should hold 2 numbers, got 1"),
        ({**every["pie"], "data": ["x", 1]}, "list of numbers"),
        ({"type": "line", "traces": [{"x": [1], "y": [1, 2]}]}, "same length"),
        ({"type": "bar", "rows": "two", "data": []}, "must be integers"),
        ({"type": "properties", "properties": [{"type": "slider"}]}, r"data\[0\]\['type'\] must be one of"),
    ]
    for data, match in bad:
        with pytest.raises(ValueError, match=match):
            viz.set_window_data(data, win="w")
    assert not viz.win_exists("w")


# ------------------------------------------------------------------ properties and their events

PROPS = [
    {"type": "text", "name": "Text input", "value": "initial"},
    {"type": "number", "name": "Number input", "value": "12"},
    {"type": "button", "name": "Button", "value": "Start"},
    {"type": "checkbox", "name": "Checkbox", "value": True},
    {"type": "select", "name": "Select", "value": 1, "values": ["Red", "Green", "Blue"]},
]


def view_event(viz, win, **event):
    """What the board's view sends when a property is edited (js/src/kinds/plots/properties.ts)."""
    msg = {"type": "window_event", "run": viz.env, "tag": win, "event": {"event_type": "PropertyUpdate", **event}}
    viz.board._on_msg(viz.board, msg, [])


def test_properties_pane_is_logged_and_reopened(viz, tmp_path):
    viz.properties(PROPS, win="props")
    w = reopened(viz, tmp_path)["props"]
    assert w["type"] == "properties" and w["properties"] == PROPS


def test_an_edit_calls_the_handlers_with_visdoms_event(viz):
    viz.properties(PROPS, win="props")
    seen = []

    def handler(event):
        seen.append(event)
        edited = [dict(p) for p in PROPS]
        edited[event["propertyId"]]["value"] = event["value"] + "_updated"
        viz.properties(edited, win="props")  # what Visdom's demo does: the pane shows the new value

    viz.register_event_handler(handler, "props")
    view_event(viz, "props", propertyId=0, value="edited")
    (e,) = seen
    assert (e["event_type"], e["propertyId"], e["value"], e["eid"], e["target"]) == (
        "PropertyUpdate",
        0,
        "edited",
        "main",
        "props",
    )
    assert e["pane_data"]["content"] == PROPS and e["pane_data"]["type"] == "properties"
    assert json.loads(viz.get_window_data("props"))["properties"][0]["value"] == "edited_updated"
    # other windows' events, and malformed messages, reach no handler
    view_event(viz, "other", propertyId=0, value="x")
    viz.board._on_msg(viz.board, {"type": "window_event", "run": "main", "tag": "props", "event": "x"}, [])
    viz.board._on_msg(viz.board, {"type": "window_event", "run": "main", "tag": "props", "event": {}}, [])
    assert len(seen) == 1
    viz.clear_event_handlers("props")
    view_event(viz, "props", propertyId=3, value=False)
    assert len(seen) == 1


def test_a_failing_handler_does_not_stop_the_others(viz, capsys):
    viz.properties(PROPS, win="props")
    calls = []
    viz.register_event_handler(lambda e: 1 / 0, "props")
    viz.register_event_handler(lambda e: calls.append(e["value"]), "props")
    view_event(viz, "props", propertyId=2, value="clicked")
    assert calls == ["clicked"]
    assert "ZeroDivisionError" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("text", "data must be a list"),
        ([{"type": "slider", "value": 1}], r"data\[0\]\['type'\] must be one of"),
        ([{"type": "checkbox", "value": "yes"}], "True or False"),
        ([{"type": "select", "value": 3, "values": ["a"]}], "index of a choice"),
        ([{"type": "select", "value": 0}], "values"),
        ([{"type": "number", "value": float("nan")}], "finite number"),
        ([{"type": "text", "value": None}], "string or a finite number"),
        ([3], r"data\[0\] must be a dict"),
    ],
)
def test_properties_bad_input(viz, data, match):
    with pytest.raises(ValueError, match=match):
        viz.properties(data)
    with pytest.raises(ValueError, match="handler must be callable"):
        viz.register_event_handler("not a function", "w")


def test_key_presses_and_image_clicks_reach_the_handlers(viz):
    assert viz.board.window_events is False  # the view sends key presses and clicks only when asked
    viz.text("pad", win="pad")
    viz.image(np.zeros((3, 4, 4)), win="img")
    seen = []
    viz.register_event_handler(seen.append, "pad")
    viz.register_event_handler(seen.append, "img")
    assert viz.board.window_events is True
    msg = {
        "type": "window_event",
        "run": "main",
        "tag": "pad",
        "event": {"event_type": "KeyPress", "key": "a", "key_code": 65},
    }
    viz.board._on_msg(viz.board, msg, [])
    click = {"event_type": "Click", "image_coord": {"x": 1, "y": 2}}
    viz.board._on_msg(viz.board, {"type": "window_event", "run": "main", "tag": "img", "event": click}, [])
    assert [(e["event_type"], e["target"]) for e in seen] == [("KeyPress", "pad"), ("Click", "img")]
    assert (seen[0]["key"], seen[0]["key_code"], seen[1]["image_coord"]) == ("a", 65, {"x": 1, "y": 2})
    assert seen[1]["pane_data"]["source"] == {"kind": "images", "tag": "img"}


def test_a_window_closed_in_the_view_is_closed_in_the_log(viz, tmp_path):
    viz.text("bye", win="t")
    viz.pie(np.array([1.0, 2.0]), win="p")
    seen = []
    viz.register_event_handler(seen.append, "t")
    for win in ("t", "p"):  # with a handler, and without one
        msg = {"type": "window_event", "run": "main", "tag": win, "event": {"event_type": "Close"}}
        viz.board._on_msg(viz.board, msg, [])
    assert not viz.win_exists("t") and not viz.win_exists("p")
    (e,) = seen
    assert e["event_type"] == "Close" and e["pane_data"]["type"] == "text"  # the window as it was
    assert "t" not in reopened(viz, tmp_path)
    # an env this object does not have: nothing happens
    viz.board._on_msg(
        viz.board, {"type": "window_event", "run": "other", "tag": "x", "event": {"event_type": "Close"}}, []
    )
    assert "other" not in viz.get_env_list()
