"""Visdom's wire messages in cellboard: ``replay_log`` of a log as Visdom's client writes it
(``log_to_filename`` / ``offline=True``: one ``[endpoint, msg]`` JSON per line), the generic
``_send`` of Visdom's README, and ``plotlyplot`` of real plotly figures.

The messages are those Visdom's client builds (py/visdom/__init__.py in fossasia/visdom): plotly
traces for the plots, panes for text / image / properties / network, ``update`` for appends."""

from __future__ import annotations

import base64
import io
import json
import wave

import numpy as np
import pytest
from _video import encode_video
from PIL import Image

import cellboard
from cellboard import Visdom
from cellboard.visdom import windows
from cellboard.visdom.messages import values


@pytest.fixture
def viz(tmp_path):
    v = Visdom(log_dir=tmp_path / "logs")
    yield v
    v.disconnect()


def line_msg(win, xs, ys, name="1", mode="lines", **extra):
    """What Visdom's ``line`` (a scatter with mode "lines") posts."""
    trace = {"x": xs, "y": ys, "name": name, "type": "scatter", "mode": mode, "marker": {"size": 10}}
    return {
        "data": [trace],
        "win": win,
        "eid": "main",
        "layout": {"showlegend": False},
        "opts": {"mode": mode},
        **extra,
    }


def png_url(arr: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def wav_url(samples: np.ndarray, rate: int) -> str:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(rate)
        f.writeframes((samples * 32767).astype("<i2").tobytes())
    return "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode()


def visdom_log(tmp_path) -> str:
    """A training script's log in Visdom's format: a loss line appended every step (offline mode
    sends every append as an update), a bar chart, a heatmap, text, an image, audio and a close."""
    entries = []
    for step in range(5):
        msg = line_msg("loss", [step], [1.0 / (step + 1)])
        msg["opts"]["title"] = "training loss"
        entries.append(["update", {**msg, "name": None, "append": True}])
    entries.append(
        [
            "events",
            {
                "data": [
                    {"x": ["a", "b", "c"], "y": [1, 2, 3], "name": "x", "type": "bar"},
                    {"x": ["a", "b", "c"], "y": [4, 5, 6], "name": "y", "type": "bar"},
                ],
                "win": "bars",
                "eid": "main",
                "layout": {"barmode": "stack", "title": {"text": "counts"}},
                "opts": {"stacked": True, "title": "counts"},
            },
        ]
    )
    entries.append(
        [
            "events",
            {
                "data": [
                    {
                        "z": [[1, 2], [3, 4]],
                        "x": ["c1", "c2"],
                        "y": ["r1", "r2"],
                        "type": "heatmap",
                        "colorscale": "Viridis",
                    }
                ],
                "win": "heat",
                "eid": "main",
                "layout": {},
                "opts": {},
            },
        ]
    )
    entries.append(
        ["events", {"data": [{"content": "<b>hello</b>", "type": "text"}], "win": "notes", "eid": "main", "opts": {}}]
    )
    entries.append(
        ["update", {"data": [{"content": "more", "type": "text"}], "win": "notes", "eid": "main", "opts": {}}]
    )
    img = np.zeros((4, 6, 3), np.uint8)
    img[:, :3] = 255
    entries.append(
        [
            "events",
            {
                "data": [{"content": {"src": png_url(img), "caption": "x"}, "type": "image"}],
                "win": "img",
                "eid": "main",
            },
        ]
    )
    tone = np.sin(np.linspace(0, 20, 800))
    html = f'<audio controls><source type="audio/wav" src="{wav_url(tone, 8000)}"></audio>'
    entries.append(["events", {"data": [{"content": html, "type": "text"}], "win": "tone", "eid": "main", "opts": {}}])
    entries.append(["events", line_msg("gone", [0, 1], [1, 2])])
    entries.append(["close", {"win": "gone", "eid": "main"}])
    path = tmp_path / "visdom.log"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return str(path)


def test_replay_log_restores_every_window_and_logs_it(viz, tmp_path):
    assert viz.replay_log(visdom_log(tmp_path)) == ""
    viz.flush()
    logs = cellboard.load(tmp_path / "logs")
    w = windows(logs, "main")
    assert sorted(w) == ["bars", "heat", "img", "loss", "notes", "tone"]
    loss = w["loss"]
    assert loss["type"] == "line" and loss["opts"]["title"] == "training loss"  # from the first append
    np.testing.assert_allclose(loss["traces"][0]["y"], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    np.testing.assert_allclose(logs.scalars("main", "loss/1").values, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    bars = w["bars"]
    assert (bars["type"], bars["labels"], bars["stacked"], bars["opts"]["legend"]) == (
        "bar",
        ["a", "b", "c"],
        True,
        ["x", "y"],
    )
    np.testing.assert_array_equal(bars["data"].reshape(3, 2), [[1, 4], [2, 5], [3, 6]])
    assert w["heat"]["opts"]["columnnames"] == ["c1", "c2"] and w["heat"]["opts"]["colormap"] == "Viridis"
    assert [r.text for r in logs.text("main", "notes/text_summary")] == ["**hello**", "more"]
    (im,) = logs.images("main", "img")
    pixels = np.asarray(Image.open(io.BytesIO(im.png)))
    assert pixels.shape == (4, 6, 3) and pixels[0, 0].tolist() == [255, 255, 255] and pixels[0, 5].tolist() == [0, 0, 0]
    (au,) = logs.audio("main", "tone")
    assert au.sample_rate == 8000


def test_replay_log_replays_the_good_entries_and_names_the_bad(viz, tmp_path):
    path = tmp_path / "mixed.log"
    path.write_text(
        "\n".join(
            [
                json.dumps(["events", line_msg("ok", [0, 1], [1, 2])]),
                "not json",
                json.dumps(["events", {"data": [{"type": "violin", "y": [1]}], "win": "v"}]),
                json.dumps(["teleport", {}]),
                json.dumps(["events", line_msg("ok2", [0], [3])]),
            ]
        )
    )
    with pytest.raises(
        ValueError, match=r"replayed 2 entries .* 3 could not be: line 2: .*line 3: .*violin.*line 4: .*endpoint"
    ):
        viz.replay_log(path)
    assert viz.win_exists("ok") and viz.win_exists("ok2") and not viz.win_exists("v")


def test_replay_log_goes_on_past_a_video_it_cannot_decode(viz, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "av", None)  # no PyAV
    video = {"data": [{"content": '<video src="data:video/mp4;base64,AAAA"></video>', "type": "text"}], "win": "v"}
    path = tmp_path / "v.log"
    path.write_text(json.dumps(["events", video]) + "\n" + json.dumps(["events", line_msg("after", [0], [1])]) + "\n")
    with pytest.raises(ValueError, match=r"replayed 1 entries .* line 1: .*pip install av"):
        viz.replay_log(path)
    assert viz.win_exists("after")


def test_generic_send_of_visdoms_readme(viz):
    trace = dict(
        x=[1, 2, 3], y=[4, 5, 6], mode="markers+lines", type="custom", marker={"color": "red"}, name="1st Trace"
    )
    layout = dict(title="First Plot", xaxis={"title": "x1"}, yaxis={"title": "x2"})
    # "custom" is not a plotly type: Visdom's server draws it as a scatter
    trace["type"] = "scatter"
    assert viz._send({"data": [trace], "layout": layout, "win": "mywin"}) == "mywin"
    st = json.loads(viz.get_window_data("mywin"))
    assert st["type"] == "line" and st["traces"][0]["name"] == "1st Trace"
    assert (st["opts"]["title"], st["opts"]["xlabel"], st["opts"]["ylabel"]) == ("First Plot", "x1", "x2")


def test_update_endpoints(viz):
    viz._send(line_msg("w", [0, 1], [1, 2], name="a"))
    viz._send({**line_msg("w", [2], [3], name="a"), "append": True, "name": "a"}, "update")
    viz._send({**line_msg("w", [0], [9], name="b"), "append": True, "name": "b"}, "update")
    assert [t["y"] for t in json.loads(viz.get_window_data("w"))["traces"]] == [[1, 2, 3], [9]]
    viz._send({**line_msg("w", [5], [7], name="a"), "append": False, "name": "a"}, "update")  # replace
    viz._send({"data": [], "name": "b", "delete": True, "win": "w", "eid": "main"}, "update")
    st = json.loads(viz.get_window_data("w"))
    assert [(t["name"], t["y"]) for t in st["traces"]] == [("a", [7])]
    viz._send({"win": "w", "eid": "main", "layout": {"title": "new"}, "opts": {"title": "new"}}, "update")
    assert json.loads(viz.get_window_data("w"))["opts"]["title"] == "new"


def test_panes_and_env_endpoints(viz):
    props = [{"type": "text", "name": "a", "value": "x"}]
    viz._send({"data": [{"content": props, "type": "properties"}], "win": "p", "eid": "main", "opts": {}})
    net = {
        "nodes": [{"name": 0, "label": "in"}, {"name": 1, "label": "out"}],
        "edges": [{"source": 0, "target": 1, "label": "0-1"}],
    }
    viz._send({"data": [{"content": net, "type": "network"}], "win": "g", "eid": "main", "opts": {"directed": True}})
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="3"/></svg>'
    viz._send({"data": [{"content": svg, "type": "text"}], "win": "s", "eid": "main", "opts": {}})
    every = json.loads(viz.get_window_data())
    assert every["p"]["properties"] == props
    assert every["g"]["node_labels"] == ["in", "out"] and every["g"]["opts"]["directed"] is True
    assert every["s"]["type"] == "svg"
    viz._send({"prev_eid": "main", "eid": "copy"}, "fork_env")
    assert viz.win_exists("p", env="copy")
    viz._send({"win": "p", "eid": "copy"}, "close")
    assert not viz.win_exists("p", env="copy")
    viz._send({"eid": "copy"}, "delete_env")
    assert "copy" not in viz.get_env_list()
    pytest.importorskip("av")
    with pytest.raises(ValueError, match="cannot be decoded"):
        viz._send(
            {"data": [{"content": '<video src="data:video/mp4;base64,AAAA"></video>', "type": "text"}], "win": "v"}
        )


def test_a_video_pane_is_decoded_into_the_gif_window(viz, tmp_path):
    """Visdom's video(tensor) posts the encoded file as a data URL in an HTML pane."""
    frames = np.zeros((4, 16, 16, 3), np.uint8)
    frames[:, :8] = 255
    encode_video(tmp_path / "v.mp4", frames, fps=4)
    url = "data:video/mp4;base64," + base64.b64encode((tmp_path / "v.mp4").read_bytes()).decode()
    html = f'<video controls><source type="video/mp4" src="{url}"></video>'
    viz._send({"data": [{"content": html, "type": "text"}], "win": "clip", "eid": "main", "opts": {}})
    viz.flush()
    (rec,) = viz.store.images("main", "clip")
    gif = Image.open(io.BytesIO(rec.png))
    assert gif.n_frames == 4 and gif.size == (16, 16) and gif.info["duration"] == 250


def test_plotlyplot_of_real_figures(viz):
    go = pytest.importorskip("plotly.graph_objects")
    x = np.arange(10)
    viz.plotlyplot(
        go.Figure(
            [go.Scatter(x=x, y=x**2, mode="lines", name="sq"), go.Scatter(x=x, y=-x, mode="lines", name="neg")],
            layout=dict(title="squares", xaxis_title="step", yaxis_type="log"),
        ),
        win="lines",
    )
    viz.plotlyplot(go.Figure([go.Scatter(x=np.random.rand(5), y=np.random.rand(5), mode="markers")]), win="dots")
    viz.plotlyplot(go.Figure(go.Heatmap(z=np.arange(6.0).reshape(2, 3))), win="heat")
    viz.plotlyplot(go.Figure(go.Pie(values=[1, 3], labels=["a", "b"])), win="pie")
    viz.plotlyplot(go.Figure(go.Histogram(x=np.random.default_rng(0).normal(size=200), nbinsx=12)), win="hist")
    viz.plotlyplot(go.Figure([go.Box(y=[1, 2, 3], name="p"), go.Box(y=[4, 5], name="q")]), win="box")
    viz.plotlyplot(go.Figure(go.Sunburst(labels=["r", "a"], parents=["", "r"], values=[1, 2])), win="sun")
    viz.plotlyplot(go.Figure(go.Mesh3d(x=[0, 1, 0], y=[0, 0, 1], z=[0, 0, 0], i=[0], j=[1], k=[2])), win="mesh")
    every = json.loads(viz.get_window_data())
    lines = every["lines"]
    assert lines["type"] == "line" and [t["name"] for t in lines["traces"]] == ["sq", "neg"]
    assert lines["traces"][0]["y"] == (x**2).tolist()
    assert (lines["opts"]["title"], lines["opts"]["xlabel"], lines["opts"]["ytype"]) == ("squares", "step", "log")
    assert every["dots"]["type"] == "scatter"
    assert every["heat"]["type"] == "heatmap" and every["heat"]["data"] == [0, 1, 2, 3, 4, 5]
    assert every["pie"]["opts"]["legend"] == ["a", "b"]
    assert every["hist"]["bins"] == 12 and sum(every["hist"]["data"][13:]) == 200
    assert every["box"]["opts"]["legend"] == ["p", "q"] and every["box"]["rows"] == 2
    assert every["sun"]["labels"] == ["r", "a"]
    assert every["mesh"]["type"] == "mesh"
    with pytest.raises(ValueError, match="violin"):
        viz.plotlyplot(go.Figure(go.Violin(y=[1, 2])))
    with pytest.raises(ValueError, match="plotly Figure"):
        viz.plotlyplot(42)


def test_plotly_typed_arrays_decode():
    arr = np.arange(6, dtype="<f4").reshape(2, 3)
    typed = {"dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode(), "shape": "2, 3"}
    np.testing.assert_array_equal(values(typed, "z"), arr)
    np.testing.assert_array_equal(values([1, None, 3], "y"), [1, np.nan, 3])
    with pytest.raises(ValueError, match="y must be numbers"):
        values(["a"], "y")
