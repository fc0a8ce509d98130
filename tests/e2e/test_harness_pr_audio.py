"""The PR CURVES and AUDIO tabs in headless Chromium, fed by the real Python side: logs written
with ``cellboard.SummaryWriter``, read back with ``cellboard.load``, and the deltas a
``cellboard.Board`` sends (comm captured) replayed into the frontend harness (js/harness/,
``?auto=0``: no synthetic data). A few entries the writer cannot produce (a truncated WAV, a
file that is not a WAV, a 0-frame clip, an audio-plugin clip whose rate is 0) are added as
entries directly. Checks the data-* hooks, drawn canvases, sliders, tooltip, filters, theme and
cleanup; saves screenshots to test-artifacts/ (look at them).

With CELLBOARD_TB_REFERENCE=1, also screenshots TensorBoard's own PR CURVES and AUDIO
dashboards on the same log directory (test-artifacts/tensorboard-*.png), for comparison.
"""

from __future__ import annotations

import base64
import io
import os
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from .frontend_harness import ROOT, open_harness, real_errors
from .pixel_checks import INK_JS
from .tensorboard_server import tensorboard

ARTIFACTS = ROOT / "test-artifacts"

# a cheap fingerprint of one canvas' pixels, to see that it was redrawn differently
CANVAS_HASH_JS = """(c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0;
  return h;
}"""

EMIT_JS = """(msgs) => {
  const h = window.cellboardHarness;
  for (const [content, bufs] of msgs) {
    const buffers = bufs.map((b64, j) => {
      const s = atob(b64), pad = 1 + (j % 5);
      const u = new Uint8Array(s.length + pad + 2);
      for (let i = 0; i < s.length; i++) u[pad + i] = s.charCodeAt(i);
      return new DataView(u.buffer, pad, s.length);  // odd byteOffsets, as ipywidgets may hand them
    });
    h.model.emit('msg:custom', content, buffers);
  }
}"""

STEPS = {"baseline": [0, 1, 2], "better": [0, 2, 4]}


def _tone(freq: float, seconds: float, rate: int, decay: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.8 * np.sin(2 * np.pi * freq * t) * np.exp(-decay * t)).astype(np.float32)


def write_logs(root: Path) -> None:
    import cellboard

    rng = np.random.default_rng(0)
    labels = rng.random(600) < 0.35
    noise = rng.normal(size=600)
    for run, steps in STEPS.items():
        skill = 1.0 if run == "baseline" else 1.8
        with cellboard.SummaryWriter(str(root / run)) as w:
            for k, step in enumerate(steps):
                score = (labels - 0.5) * (1.0 + k * 0.8) * skill + noise
                preds = 1 / (1 + np.exp(-score))
                w.add_pr_curve("pr/classifier", labels, preds, step)
                w.add_pr_curve(
                    "pr/rare", labels & (rng.random(600) < 0.1), np.clip(preds * 0.6, 0, 1), step, num_thresholds=33
                )
                w.add_audio(
                    "audio/tone",
                    _tone(220 * (k + 1) * (1.5 if run == "better" else 1), 1.0, 16000, 2.0 + k),
                    step,
                    sample_rate=16000,
                )
    with cellboard.SummaryWriter(str(root / "edge")) as w:
        # degenerate PR curves: one threshold; all-zero counts
        w.add_pr_curve_raw("pr/degenerate", [3], [1], [5], [1], [0.75], [0.75], 0, num_thresholds=1)
        w.add_pr_curve_raw("pr/degenerate", [0] * 5, [0] * 5, [0] * 5, [0] * 5, [0] * 5, [0] * 5, 1, num_thresholds=5)
        left, right = _tone(330, 0.5, 8000, 1.0), _tone(440, 0.5, 8000, 6.0) * 0.5
        w.add_audio("audio/stereo", np.stack([left, right]), 0, sample_rate=8000)


def _wav(frames: np.ndarray, rate: int, channels: int = 1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes((np.clip(frames, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def extra_entries() -> tuple[dict, list[bytes]]:
    """Audio entries the writer never makes: malformed files, an empty clip, rate 0 (plugin tensors)."""
    good = _wav(_tone(500, 0.25, 8000, 3.0), 8000)
    clips = [
        ("audio/broken", 0, good[:30]),  # cut inside the fmt chunk
        ("audio/broken", 1, b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(64)),  # an MP3, not a WAV
        ("audio/empty", 0, _wav(np.zeros(0), 8000)),
        ("audio/rate0", 0, good),
    ]
    entries, buffers = [], []
    counters: dict[str, int] = {}
    for tag, step, data in clips:
        i = counters.get(tag, 0)
        counters[tag] = i + 1
        entries.append(
            {
                "run": "edge",
                "tag": tag,
                "index": i,
                "step": step,
                "wall": 1.7e9 + step,
                "sample_rate": 0.0 if tag == "audio/rate0" else 8000.0,
                "mime": "audio/wav",
                "buffer": len(buffers),
            }
        )
        buffers.append(data)
    return {"audio": entries}, buffers


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pr_audio_logs")
    write_logs(root)
    return root


@pytest.fixture(scope="module")
def messages(logdir):
    """What a Board sends a view that says hello, plus the extra entries; buffers as base64."""
    import cellboard
    from cellboard.board import Board

    board = Board(cellboard.load(str(logdir)), interval=0.0)
    sent: list[tuple[dict, list[bytes]]] = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    board._on_msg(board, {"type": "hello"}, [])
    board.close()
    assert sent, "the board sent nothing"
    entries, buffers = extra_entries()
    sent.append(
        ({"type": "delta", "seq": sent[-1][0]["seq"] + 1, "runs": sent[-1][0]["runs"], "entries": entries}, buffers)
    )
    counts = {"pr_curves": 0, "audio": 0}
    for content, _ in sent:
        for kind in counts:
            counts[kind] += len(content.get("entries", {}).get(kind, []))
    msgs = [(content, [base64.b64encode(bytes(b)).decode("ascii") for b in bufs]) for content, bufs in sent]
    return msgs, counts


def load_board(site, messages, theme: str | None = None):
    from playwright.sync_api import expect

    base, browser = site
    msgs, counts = messages
    query = "?auto=0" + (f"&theme={theme}" if theme else "")
    page, errors = open_harness(browser, base, query, viewport=(1280, 1400))
    page.evaluate("() => window.cellboardHarness.model.set('height', 1250)")
    page.evaluate(EMIT_JS, msgs)
    board = page.locator("#out.cellboard")
    expect(board).to_have_attribute("data-pr-curve-steps", str(counts["pr_curves"]), timeout=15_000)
    expect(board).to_have_attribute("data-audio-count", str(counts["audio"]), timeout=15_000)
    return page, errors, board


def shot(board, name: str):
    board.screenshot(path=str(ARTIFACTS / f"harness-{name}.png"))


def test_pr_curves_tab(site, messages):
    from playwright.sync_api import expect

    page, errors, board = load_board(site, messages)
    _, counts = messages
    # 2 runs x 3 steps x 2 tags, 2 degenerate records
    assert counts["pr_curves"] == 2 * 3 * 2 + 2
    tabs = [t.inner_text().strip().lower() for t in board.get_by_role("tab").all()]
    assert tabs == ["audio", "pr curves"], tabs  # dashboard order
    board.get_by_role("tab", name="PR Curves").click()
    cards = board.locator(".cb-pr-card")
    expect(cards).to_have_count(3)
    page.wait_for_timeout(200)
    assert board.evaluate(INK_JS) > 3000, "PR charts are blank"

    card = board.locator(".cb-pr-card[data-tag='pr/classifier']")
    label = card.locator(".cb-step")
    expect(label).to_have_text("step 4")  # the latest step of any run
    slider = card.locator("input[type=range]")
    assert slider.get_attribute("max") == "3"  # steps 0, 1, 2, 4 (union of the runs' steps)
    legend = card.locator(".cb-pr-legend-row")
    expect(legend).to_have_count(2)
    expect(legend.filter(has_text="baseline")).to_contain_text("step 2 ·")  # baseline's latest is 2
    canvas = card.locator("canvas")
    before = canvas.evaluate(CANVAS_HASH_JS)
    slider.fill("0")
    expect(label).to_have_text("step 0")
    page.wait_for_timeout(50)
    assert canvas.evaluate(CANVAS_HASH_JS) != before, "the slider did not change the chart"
    slider.fill("3")
    expect(label).to_have_text("step 4")

    # HiDPI-ready: the canvas backing store matches css size x devicePixelRatio
    dims = canvas.evaluate("(c) => [c.width, c.height, c.clientWidth, c.clientHeight, devicePixelRatio]")
    assert dims[0] == round(dims[2] * dims[4]) and dims[1] == round(dims[3] * dims[4])

    # hover: per run, the nearest threshold with its counts
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.35)
    tip = card.locator(".cb-tooltip")
    expect(tip).to_be_visible()
    for text in ("baseline", "better", "threshold", "precision", "recall", "TP", "FP", "TN", "FN"):
        expect(tip).to_contain_text(text)
    shot(board, "pr-curves-tooltip")
    page.mouse.move(box["x"] - 30, box["y"] - 30)
    expect(tip).to_be_hidden()

    # degenerate records: one threshold shows a dot; all-zero counts say nothing was predicted
    deg = board.locator(".cb-pr-card[data-tag='pr/degenerate']")
    expect(deg.locator(".cb-step")).to_have_text("step 1")
    expect(deg.locator(".cb-pr-legend-row")).to_contain_text("nothing predicted positive")
    deg.locator("input[type=range]").fill("0")
    expect(deg.locator(".cb-pr-legend-row")).to_contain_text("1 of 1 thresholds")

    shot(board, "pr-curves")

    # the run checkboxes and the tag filter
    board.locator(".cb-run", has_text="better").locator("input").uncheck()
    expect(legend).to_have_count(1)
    assert slider.get_attribute("max") == "2"  # baseline's steps only
    board.locator(".cb-run", has_text="better").locator("input").check()
    expect(legend).to_have_count(2)
    board.get_by_label("Filter tags").fill("classifier")
    expect(cards).to_have_count(1)
    board.get_by_label("Filter tags").fill("")
    expect(cards).to_have_count(3)

    # the slider sits on the latest step: a new step arrives and it follows
    page.evaluate("""() => {
      const h = window.cellboardHarness, n = 3, vals = [];
      for (const row of [[5, 3, 0], [2, 1, 0], [3, 4, 7], [0, 2, 5], [5/7, 3/4, 0.5], [1, 0.6, 0]]) vals.push(...row);
      const ab = new ArrayBuffer(8 * 6 * n), dv = new DataView(ab);
      vals.forEach((v, i) => dv.setFloat64(8 * i, v, true));
      h.model.emit('msg:custom', {type: 'delta', seq: 10000, runs: ['baseline', 'better', 'edge'], entries: {pr_curves: [
        {run: 'better', tag: 'pr/classifier', index: 3, step: 6, wall: 1.7e9, thresholds: n, buffer: 0}]}}, [dv]);
    }""")
    expect(label).to_have_text("step 6")

    page.evaluate("() => window.cellboardHarness.cleanup()")
    assert page.evaluate("() => window.cellboardHarness.model.listenerCount()") == 0
    assert not real_errors(errors), real_errors(errors)
    page.close()


def test_audio_tab(site, messages):
    from playwright.sync_api import expect

    page, errors, board = load_board(site, messages)
    _, counts = messages
    assert counts["audio"] == 2 * 3 + 1 + 4
    board.get_by_role("tab", name="Audio").click()
    cards = board.locator(".cb-audio-card")
    expect(cards).to_have_count(6)  # baseline, better: tone; edge: stereo, broken, empty, rate0
    page.wait_for_timeout(200)
    assert board.evaluate(INK_JS) > 3000, "waveforms are blank"

    tone = board.locator(".cb-audio-card[data-run='baseline'][data-tag='audio/tone']")
    expect(tone.locator(".cb-step")).to_have_text("step 2")
    expect(tone.locator(".cb-audio-info")).to_have_text("16 kHz · 1 s · mono · 16-bit")
    player = tone.locator("audio")
    src = player.get_attribute("src")
    assert src.startswith("blob:"), src
    # the browser reads the logged bytes as a playable clip
    page.wait_for_function("(a) => a.readyState >= 1", arg=player.element_handle(), timeout=10_000)
    assert abs(player.evaluate("(a) => a.duration") - 1.0) < 0.01
    wave_canvas = tone.locator("canvas")
    before = wave_canvas.evaluate(CANVAS_HASH_JS)
    slider = tone.locator("input[type=range]")
    assert slider.get_attribute("max") == "2"
    slider.fill("0")
    expect(tone.locator(".cb-step")).to_have_text("step 0")
    assert player.get_attribute("src") != src
    page.wait_for_timeout(50)
    assert wave_canvas.evaluate(CANVAS_HASH_JS) != before, "the slider did not change the waveform"
    # seeking by clicking the waveform draws a playhead
    page.wait_for_function("(a) => a.readyState >= 1", arg=player.element_handle(), timeout=10_000)
    before = wave_canvas.evaluate(CANVAS_HASH_JS)
    box = wave_canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_function("(a) => Math.abs(a.currentTime - 0.5) < 0.05", arg=player.element_handle(), timeout=5_000)
    page.wait_for_timeout(100)
    assert wave_canvas.evaluate(CANVAS_HASH_JS) != before, "no playhead"

    stereo = board.locator(".cb-audio-card[data-tag='audio/stereo']")
    expect(stereo.locator(".cb-audio-info")).to_have_text("8 kHz · 0.5 s · stereo · 16-bit")
    dims = stereo.locator("canvas").evaluate(
        "(c) => [c.width, c.height, c.clientWidth, c.clientHeight, devicePixelRatio]"
    )
    assert dims[0] == round(dims[2] * dims[4]) and dims[1] == round(dims[3] * dims[4])

    broken = board.locator(".cb-audio-card[data-tag='audio/broken']")
    expect(broken.locator(".cb-audio-msg")).to_have_text("cannot decode: not a RIFF/WAVE file")
    broken.locator("input[type=range]").fill("0")
    expect(broken.locator(".cb-audio-msg")).to_have_text("cannot decode: truncated fmt chunk")
    expect(board.locator(".cb-audio-card[data-tag='audio/empty'] .cb-audio-msg")).to_have_text("empty clip (0 samples)")
    expect(board.locator(".cb-audio-card[data-tag='audio/empty'] .cb-audio-info")).to_have_text(
        "8 kHz · 0 s · mono · 16-bit"
    )
    # rate 0 in the entry: the WAV header's
    expect(board.locator(".cb-audio-card[data-tag='audio/rate0'] .cb-audio-info")).to_have_text(
        "8 kHz · 0.25 s · mono · 16-bit"
    )
    expect(tone.locator(".cb-audio-wall")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))  # wall time

    board.get_by_label("Filter runs").fill("^edge$")
    expect(cards).to_have_count(4)
    board.get_by_label("Filter runs").fill("")
    expect(cards).to_have_count(6)
    slider.fill("2")
    page.wait_for_timeout(100)
    shot(board, "audio")

    # cleanup: every Blob URL is revoked
    urls = board.evaluate("(el) => [...el.querySelectorAll('audio')].map((a) => a.src)")
    page.evaluate("() => window.cellboardHarness.cleanup()")
    assert page.evaluate("() => window.cellboardHarness.model.listenerCount()") == 0
    for u in urls:
        ok = page.evaluate("(u) => fetch(u).then(() => true, () => false)", u)
        assert not ok, f"{u} still alive after cleanup"
    assert not real_errors(errors), real_errors(errors)
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_pr_audio_themes(site, messages, theme):
    page, errors, board = load_board(site, messages, theme)
    bg = board.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert bg == ("rgb(255, 255, 255)" if theme == "light" else "rgb(33, 33, 33)")
    board.get_by_role("tab", name="PR Curves").click()
    page.wait_for_timeout(200)
    assert board.evaluate(INK_JS) > 3000
    shot(board, f"pr-curves-{theme}")
    board.get_by_role("tab", name="Audio").click()
    page.wait_for_timeout(200)
    assert board.evaluate(INK_JS) > 3000
    shot(board, f"audio-{theme}")
    assert not real_errors(errors), real_errors(errors)
    page.close()


def test_hidpi_canvases(site, messages):
    """At devicePixelRatio 2 the canvases draw at device resolution (crisp lines and text)."""
    from playwright.sync_api import expect

    base, browser = site
    msgs, counts = messages
    page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=2)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(f"{base}/js/harness/index.html?auto=0&theme=light")
    page.wait_for_function("() => window.cellboardHarness && window.cellboardHarness.ready", timeout=30_000)
    page.evaluate(EMIT_JS, msgs)
    board = page.locator("#out.cellboard")
    expect(board).to_have_attribute("data-pr-curve-steps", str(counts["pr_curves"]), timeout=15_000)
    sizes = "(c) => [c.width, c.height, c.clientWidth, c.clientHeight]"
    for tab, card in (
        ("PR Curves", ".cb-pr-card[data-tag='pr/classifier']"),
        ("Audio", ".cb-audio-card[data-tag='audio/stereo']"),
    ):
        board.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(200)
        w, hgt, cw, ch = board.locator(f"{card} canvas").evaluate(sizes)
        assert (w, hgt) == (2 * cw, 2 * ch), (w, hgt, cw, ch)
        board.locator(card).screenshot(path=str(ARTIFACTS / f"harness-{tab.lower().replace(' ', '-')}-card-2x.png"))
    assert not real_errors(errors), real_errors(errors)
    page.close()


@pytest.mark.skipif(
    not os.environ.get("CELLBOARD_TB_REFERENCE"), reason="reference screenshots: set CELLBOARD_TB_REFERENCE=1"
)
def test_tensorboard_reference_screenshots(site, logdir):
    """TensorBoard's own PR CURVES and AUDIO dashboards on the same files, to compare by eye."""
    _, browser = site
    with tensorboard(logdir) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        for dash in ("pr_curves", "audio"):
            page.goto(f"{url}/#{dash}")
            page.wait_for_timeout(6000)
            page.screenshot(path=str(ARTIFACTS / f"tensorboard-{dash}.png"))
        page.close()
