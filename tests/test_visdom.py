"""cellboard.Visdom: Visdom's calls, logged to event files, read back into the same windows."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from _video import encode_video

import cellboard
from cellboard import Visdom
from cellboard.kinds import plots
from cellboard.visdom import html_to_markdown, windows


@pytest.fixture
def viz(tmp_path):
    v = Visdom(log_dir=tmp_path)
    yield v
    v.disconnect()


def test_line_append_and_traces_read_back(viz, tmp_path):
    for step in range(10):
        assert viz.line([1.0 / (step + 1)], [step], win="loss", update="append", opts={"title": "loss"}) == "loss"
    viz.line(np.c_[np.arange(5.0), np.arange(5.0) ** 2], np.arange(5), win="two", opts={"legend": ["a", "b"]})
    viz.line([9.0], [5], win="two", update="append", name="a")
    viz.line(None, win="two", update="remove", name="b")
    viz.flush()
    logs = cellboard.load(tmp_path)
    w = windows(logs, "main")
    assert w["loss"]["type"] == "line" and w["loss"]["opts"]["title"] == "loss"
    np.testing.assert_allclose(w["loss"]["traces"][0]["x"], np.arange(10))
    assert [t["name"] for t in w["two"]["traces"]] == ["a"]
    assert len(w["two"]["traces"][0]["x"]) == 6
    # the traces are also scalars (TensorBoard reads them): <win>/<trace>
    assert len(logs.scalars("main", "loss/1")) == 10
    assert list(logs.scalars("main", "two/a").steps) == [0, 1, 2, 3, 4, 5]
    assert json.loads(viz.get_window_data("loss"))["traces"][0]["y"][0] == 1.0


def test_line_replace_insert_and_default_x(viz):
    win = viz.line(np.arange(4.0))  # X defaults to 0..1, a new window id
    assert viz.win_exists(win)
    viz.line([5.0, 6.0], [0.5, 0.75], win=win, update="insert")
    d = json.loads(viz.get_window_data(win))["traces"][0]
    assert d["x"] == sorted(d["x"]) and len(d["x"]) == 6
    viz.line([1.0], [0], win=win, update="replace")
    assert json.loads(viz.get_window_data(win))["traces"][0]["y"] == [1.0]


def test_every_plot_type_round_trips(viz, tmp_path):
    rng = np.random.default_rng(0)
    viz.scatter(rng.random((50, 2)), rng.integers(1, 4, 50), win="sc", opts={"legend": ["a", "b", "c"]})
    viz.scatter(rng.random((5, 2)), win="sc", update="append", name="a")
    viz.scatter(rng.random((20, 3)), win="sc3")
    viz.bar(rng.random((4, 2)), win="bar", opts={"stacked": True, "legend": ["x", "y"], "rownames": list("abcd")})
    viz.heatmap(rng.random((5, 6)), win="hm", opts={"columnnames": list("abcdef"), "colormap": "Hot"})
    viz.heatmap(rng.random((1, 6)), win="hm", update="appendRow")
    viz.histogram(rng.normal(size=100), win="hist", opts={"numbins": 10})
    viz.boxplot(rng.normal(size=(100, 3)), win="box")
    viz.stem(rng.random(10), win="stem")
    viz.pie(np.array([1.0, 2.0, 3.0]), win="pie")
    viz.surf(rng.random((8, 8)), win="surf")
    viz.contour(rng.random((8, 8)), win="ct")
    viz.quiver(rng.random((4, 4)), rng.random((4, 4)), win="q")
    viz.image(rng.random((3, 16, 16)), win="img")
    viz.images(rng.random((4, 3, 8, 8)), nrow=2, padding=1, win="imgs")
    viz.text("<b>hi</b><br>there", win="txt")
    viz.text("more", win="txt", append=True)
    viz.audio(np.sin(np.linspace(0, 100, 4000)), win="aud", opts={"sample_frequency": 8000})
    viz.svg('<svg width="4" height="4"><rect width="4" height="4"/></svg>', win="svg")
    viz.close("pie")
    viz.update_window_opts("bar", {"title": "bars"})
    viz.flush()
    logs = cellboard.load(tmp_path)
    w = windows(logs, "main")
    assert set(w) == {
        "sc",
        "sc3",
        "bar",
        "hm",
        "hist",
        "box",
        "stem",
        "surf",
        "ct",
        "q",
        "img",
        "imgs",
        "txt",
        "aud",
        "svg",
    }
    assert {t["name"]: len(t["x"]) for t in w["sc"]["traces"]}["a"] > 5
    assert "z" in w["sc3"]["traces"][0]
    assert w["hm"]["rows"] == 6 and w["hm"]["data"].size == 36
    assert w["bar"]["opts"]["title"] == "bars" and w["bar"]["stacked"] is True
    assert w["hist"]["data"][11:].sum() == 100
    assert w["img"]["source"] == {"kind": "images", "tag": "img"}
    assert len(logs.images("main", "img")) == 1
    img = logs.images("main", "imgs")[0]
    assert (img.width, img.height) == (2 * 9 + 1, 2 * 9 + 1)
    assert [r.text for r in logs.text("main", "txt/text_summary")] == ["**hi**  \nthere", "more"]
    assert w["txt"]["from"] == 0
    assert len(logs.audio("main", "aud")) == 1


def test_bad_input_is_a_value_error_naming_the_argument(viz):
    with pytest.raises(ValueError, match="update"):
        viz.line([1.0], [1], win="w", update="bogus")
    with pytest.raises(ValueError, match="X and Y"):
        viz.line(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="X"):
        viz.line([1.0], win="w", update="append")
    with pytest.raises(ValueError, match="X should have 2 or 3 cols"):
        viz.scatter(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="labels"):
        viz.scatter(np.zeros((3, 2)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="rownames"):
        viz.bar(np.zeros((3, 2)), opts={"rownames": ["a"]})
    with pytest.raises(ValueError, match="columnnames"):
        viz.heatmap(np.zeros((2, 3)), opts={"columnnames": ["a"]})
    with pytest.raises(ValueError, match="negative"):
        viz.pie(np.array([-1.0, 2.0]))
    with pytest.raises(ValueError, match="name"):
        viz.line(None, win="w", update="remove")


def test_video_from_a_file_is_decoded_into_the_gif_window(viz, tmp_path):
    from PIL import Image

    frames = np.zeros((6, 32, 48, 3), np.uint8)
    for i in range(6):
        frames[i, :, : 8 * (i + 1)] = 255  # a white bar growing frame by frame
    encode_video(tmp_path / "clip.mp4", frames, fps=5)
    viz.video(videofile=tmp_path / "clip.mp4", win="clip")
    viz.flush()
    (rec,) = viz.store.images("main", "clip")
    gif = Image.open(io.BytesIO(rec.png))
    assert gif.n_frames == 6 and gif.size == (48, 32)
    assert gif.info["duration"] == 200  # the file's 5 frames a second
    gif.seek(2)  # a bar 24 pixels wide
    third = np.asarray(gif.convert("L"))
    assert third[:, :20].mean() > 200 and third[:, 28:].mean() < 50
    assert json.loads(viz.get_window_data("clip"))["source"] == {"kind": "images", "tag": "clip"}


def test_video_file_errors(viz, tmp_path, monkeypatch):
    pytest.importorskip("av")
    with pytest.raises(FileNotFoundError):
        viz.video(videofile=tmp_path / "missing.mp4")
    (tmp_path / "notes.txt").write_text("not a video")
    with pytest.raises(ValueError, match="cannot be decoded"):
        viz.video(videofile=tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="not both"):
        viz.video(np.zeros((1, 2, 2, 3)), videofile=tmp_path / "notes.txt")
    monkeypatch.setitem(__import__("sys").modules, "av", None)
    with pytest.raises(ImportError, match="pip install av"):
        viz.video(videofile=tmp_path / "notes.txt")


def test_window_management_and_legacy_update_trace(viz, tmp_path):
    assert viz.check_connection() is True
    viz.updateTrace(np.array([0, 1]), np.array([1.0, 2.0]), win="old", name="t")
    viz.updateTrace(np.array([2]), np.array([3.0]), win="old", name="t")
    assert len(json.loads(viz.get_window_data("old"))["traces"][0]["x"]) == 3
    viz.line([1.0], [0], win="other", env="second")
    assert viz.win_exists("other", env="second") and not viz.win_exists("other")
    assert json.loads(viz.save(["main", "second"])) == ["main", "second"]
    viz.close()  # every window of main
    assert not viz.win_exists("old")
    viz.delete_env("second")
    viz.flush()
    logs = cellboard.load(tmp_path)
    assert windows(logs, "main") == {} and windows(logs, "second") == {}
    assert sorted(logs.runs) == ["main", "second"]


def test_server_arguments_are_accepted_with_one_note(tmp_path):
    import cellboard.visdom.client as V

    V._noted = False
    with pytest.warns(V.VisdomNote, match="board lives in the notebook cell"):
        v = Visdom(server="http://example", port=9999, use_incoming_socket=False, log_dir=tmp_path)
    assert v.env == "main"
    v.disconnect()


def test_board_sends_plot_entries(viz):
    sent = []
    board = viz.board
    board._send_raw = lambda content, buffers: sent.append((content, buffers))  # no comm
    viz.scatter(np.random.rand(100, 2), win="s")
    viz.flush()
    board.send_pending()
    entries = [e for c, _ in sent for e in c["entries"].get("plots", [])]
    assert entries and entries[-1]["op"] == "set" and entries[-1]["spec"]["type"] == "scatter"
    buf = sent[-1][1][entries[-1]["buffer"]]
    assert len(buf) == 100 * 2 * 8


def test_plot_records_encode_decode_and_html():
    from cellboard.tfevents import messages as M

    ev, rec = plots.encode("w", "set", {"type": "pie", "opts": {}}, np.array([1.0, 2.0]), 3, 1.0)
    (v,) = M.decode_summary(M.decode_event(ev).summary)
    (back,) = plots.decode(v, plots.PLUGIN, 3, 1.0)
    assert back.op == "set" and back.spec == rec.spec and list(back.data) == [1.0, 2.0]
    assert html_to_markdown("<h2>T</h2><p>a &amp; <i>b</i></p><script>x</script>") == "## T\n\na & *b*"


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        # a metrics table, as scripts log them: a GFM table (the header row from <th>)
        (
            "<table><tr><th>metric</th><th>value</th></tr><tr><td>loss</td><td>0.1</td></tr></table>",
            "| metric | value |\n| --- | --- |\n| loss | 0.1 |",
        ),
        # no <th>: an empty header, every row kept; ragged rows padded; "|" and newlines inside cells
        (
            "<table><tr><td>a|b</td></tr><tr><td>c\nd</td><td>e</td></tr></table>",
            "|  |  |\n| --- | --- |\n| a\\|b |  |\n| c d | e |",
        ),
        ("<ul><li>one</li><li>two</li></ul><ol><li>x</li><li>y</li></ol>", "- one\n- two\n\n1. x\n2. y"),
        (
            'see <a href="https://x.org">this</a> <img src="data:image/png;base64,AA" alt="pic">',
            "see [this](https://x.org) ![pic](data:image/png;base64,AA)",
        ),
        ("<pre>a*b\n  c</pre>", "```\na*b\n  c\n```"),
        ("<code>x_y</code> loss_train 2*3*4", "`x_y` loss\\_train 2\\*3\\*4"),  # shown as typed, not emphasis
        ("<s>old</s><hr><h4>h</h4>", "~~old~~\n\n---\n\n#### h"),
        ("<style>p {color: red}</style><script>alert(1)</script>kept<span>text</span>", "kepttext"),
        ("<table><tr><td>unclosed", "|  |\n| --- |\n| unclosed |"),
    ],
)
def test_html_becomes_the_markdown_the_board_renders(html, markdown):
    assert html_to_markdown(html) == markdown


def test_video_from_frames_is_an_animated_gif_window(viz, tmp_path):
    frames = np.random.default_rng(0).random((6, 12, 16, 3))  # L x H x W x C, as Visdom
    win = viz.video(tensor=frames, win="clip", opts={"fps": 10})
    assert win == "clip" and viz.win_exists("clip")
    viz.save([viz.env])
    logs = cellboard.load(viz.log_root)
    (rec,) = logs.images(viz.env, "clip")
    assert rec.png[:4] == b"GIF8" and (rec.width, rec.height) == (16, 12)
    from PIL import Image

    gif = Image.open(io.BytesIO(rec.png))
    assert gif.n_frames == 6 and gif.info["duration"] == 100
    with pytest.raises(ValueError, match="dim"):
        viz.video(tensor=frames, dim="CxLxHxW")


def test_mesh_is_a_mesh_summary_shown_in_its_window(viz, tmp_path):
    """viz.mesh logs TensorBoard's mesh summary under the window's name (the Mesh tab and TensorBoard
    show it) and a window that shows it, with the colour and opacity as the mesh's material."""
    verts = np.array([[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]], float)
    faces = np.array([[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]])
    assert viz.mesh(verts, faces, win="tetra", opts={"color": "orange", "opacity": 0.5}) == "tetra"
    viz.mesh(verts * 2, win="cloud")  # no triangles: a point cloud
    viz.flush()
    logs = cellboard.load(tmp_path)
    (m,) = logs.mesh("main", "tetra")
    np.testing.assert_allclose(m.vertices, verts[None])
    np.testing.assert_array_equal(m.faces, faces[None])
    assert m.config == {
        "material": {"cls": "MeshStandardMaterial", "color": "orange", "opacity": 0.5, "transparent": True}
    }
    (c,) = logs.mesh("main", "cloud")
    assert c.faces is None and c.config["material"]["cls"] == "PointsMaterial"
    w = windows(logs, "main")
    assert w["tetra"]["type"] == "mesh" and w["tetra"]["source"] == {"kind": "mesh", "tag": "tetra"}
    with pytest.raises(ValueError, match=r"X should be N x 3, got shape \(4, 2\)"):
        viz.mesh(verts[:, :2])
    with pytest.raises(ValueError, match=r"Y must hold vertex indices, integers from 0 to 3 .* from 1 to 4"):
        viz.mesh(verts, faces + 1)
    with pytest.raises(ValueError, match=r"Y should be M x 3"):
        viz.mesh(verts, faces[:, :2])
    with pytest.raises(ValueError, match=r"opts\['opacity'\] should be in \[0, 1\]"):
        viz.mesh(verts, faces, opts={"opacity": 2})
    with pytest.raises(ValueError, match=r"opts\['opacity'\] should be in \[0, 1\], got 'half'"):
        viz.mesh(verts, faces, opts={"opacity": "half"})
    with pytest.raises(ValueError, match=r"opts\['color'\] should be a CSS colour string"):
        viz.mesh(verts, faces, opts={"color": [1, 0, 0]})
