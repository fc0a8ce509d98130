"""The HPARAMS tab in headless Chromium, fed the messages a real Board sends while a real Optuna
study runs (tests/test_hparams_optuna.py: 12 trials, 4 hyperparameters, 2 metrics, a loss curve
per trial). Checks the sessions hook, table rows and metric cells, polylines and points, live
arrival of sessions, sorting, brushing (number and category axes), the row and run filters,
hover highlighting, the log toggle, cleanup, no page errors; saves light and dark screenshots to
test-artifacts/ (look at them).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from .frontend_harness import ROOT, open_harness, real_errors
from .pixel_checks import INK_JS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
optuna = pytest.importorskip("optuna")
from test_hparams_optuna import run_study  # noqa: E402 (after the sys.path insert and the skip)

ARTIFACTS = ROOT / "test-artifacts"
N = 12

MOUNT_JS = """({messages}) => {
  const H = window.cellboardHarness;
  document.getElementById('out').style.display = 'none';
  const el = document.createElement('div');
  el.id = 'hp';
  document.querySelector('.cell').append(el);
  const model = new H.FakeModel({ smoothing: 0.6, x_axis: 'step', log_y: false, tag_filter: '', run_filter: '',
    height: 0, title: 'Optuna study' });
  const cleanup = H.mount(model, el);
  const decode = (s) => { const u = Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); return new DataView(u.buffer); };
  let next = 0;
  window.hp = {
    model, el, cleanup,
    feed(upto) {
      for (; next < Math.min(upto, messages.length); next++) {
        const [content, bufs] = messages[next];
        model.emit('msg:custom', content, bufs.map(decode));
      }
      return next;
    },
  };
}"""


@pytest.fixture(scope="module")
def live_study(tmp_path_factory):
    """Board messages captured while the study runs; marks[k] = messages sent once trial k is logged."""
    from cellboard.board import Board

    logdir = tmp_path_factory.mktemp("optuna-live")
    board = Board(interval=0.0)
    sent: list = []
    board.send = lambda content, buffers=None: sent.append(
        (content, [base64.b64encode(bytes(b)).decode() for b in buffers or []])
    )
    board._on_msg(board, {"type": "hello"}, [])
    marks: list[int] = []

    def after_trial(_study, _trial):
        board.send_pending()
        marks.append(len(sent))

    study = run_study(logdir, n_trials=N, store=board.store, on_trial=after_trial)
    board.close()
    return logdir, study, sent, marks


def mount(site, live_study, theme: str):
    base, browser = site
    page, errors = open_harness(browser, base, f"?auto=0&theme={theme}", viewport=(1280, 1000))
    page.evaluate(MOUNT_JS, {"messages": live_study[2]})
    return page, errors, page.locator("#hp.cellboard")


def settle(board):
    """Wait for the board's next drawn frame (controls redraw on requestAnimationFrame)."""
    board.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def rows(board) -> list[str]:
    settle(board)
    return board.locator(".cb-hp-table tbody tr").evaluate_all("(trs) => trs.map((tr) => tr.dataset.run)")


def column(board, name: str) -> list[str]:
    settle(board)
    idx = board.locator(".cb-hp-table thead tr:first-child th").evaluate_all(
        f"(ths) => ths.findIndex((th) => th.textContent.replace(/[▲▼]/g, '') === {name!r})"
    )
    assert idx >= 0, name
    return board.locator(f".cb-hp-table tbody tr td:nth-child({idx + 1})").all_inner_texts()


def drag(page, locator, f0: float, f1: float):
    """Drag vertically along an axis' hit area from fraction f0 to f1 of its height (0 = top)."""
    box = locator.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * f0)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * f1, steps=6)
    page.mouse.up()


def test_hparams_tab_live_table_plots_brushing(site, live_study):
    from playwright.sync_api import expect

    _logdir, study, sent, marks = live_study
    page, errors, board = mount(site, live_study, "light")
    values = {f"study/trial_{t.number}": t for t in study.trials}

    # live: the first three trials, then the rest
    page.evaluate(f"() => window.hp.feed({marks[2]})")
    expect(board).to_have_attribute("data-hparams-sessions", "3", timeout=10_000)
    tab = board.locator(".cb-tab[data-kind='hparams']")
    expect(tab).to_be_visible()
    tab.click()
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(3)
    expect(board.locator("path.cb-hp-line")).to_have_count(3)
    page.evaluate(f"() => window.hp.feed({len(sent)})")
    expect(board).to_have_attribute("data-hparams-sessions", str(N), timeout=10_000)
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(N)
    expect(board.locator("path.cb-hp-line")).to_have_count(N)
    expect(board.locator("circle.cb-hp-pt")).to_have_count(N)
    page.wait_for_timeout(200)

    # the table: a column per hparam and metric; metric cells = the last value of the series
    heads = board.locator(".cb-hp-table thead tr:first-child th").all_inner_texts()
    assert [h.strip("▲▼ ") for h in heads] == [
        "Run",
        "lr",
        "layers",
        "optimizer",
        "dropout",
        "hparam/objective",
        "hparam/accuracy",
    ]
    got = dict(zip(rows(board), column(board, "hparam/objective")))
    for run, t in values.items():
        assert float(got[run]) == pytest.approx(t.value, rel=1e-4)
    layers = dict(zip(rows(board), column(board, "layers")))
    assert all(layers[r] == str(t.params["layers"]) for r, t in values.items())  # ints stay ints

    board.screenshot(path=str(ARTIFACTS / "harness-hparams-light.png"))

    # live: a new value of a session's metric series replaces its cell (the last value counts)
    (entry,) = [
        e
        for c, _ in sent
        for e in c.get("entries", {}).get("scalars", [])
        if (e["run"], e["tag"]) == ("study/trial_0", "hparam/objective")
    ]
    page.evaluate(
        """([e, seq]) => {
      const buf = new DataView(new Float64Array([1, 1.8e9, 0.0123]).buffer);
      window.hp.model.emit('msg:custom', { type: 'delta', seq, runs: [e.run], entries: { scalars: [
        { run: e.run, tag: e.tag, epoch: e.epoch, offset: e.offset + e.count, count: 1, decimated: false,
          total: e.offset + e.count + 1, buffer: 0 }] } }, [buf]);
    }""",
        [entry, sent[-1][0]["seq"] + 1],
    )
    cell = board.locator(".cb-hp-table tbody tr[data-run='study/trial_0'] td:nth-child(6)")
    expect(cell).to_have_text("0.0123")
    expect(cell).to_have_attribute("title", "0.0123 at step 1")
    objective = {r: t.value for r, t in values.items()} | {"study/trial_0": 0.0123}

    # sorting: ascending, then descending, missing last
    board.locator(".cb-hp-table th[data-key='m:hparam/objective'] .cb-hp-sort").click()
    by_obj = sorted(objective, key=objective.get)
    assert rows(board) == by_obj
    board.locator(".cb-hp-table th[data-key='m:hparam/objective'] .cb-hp-sort").click()
    assert rows(board) == by_obj[::-1]
    board.locator(".cb-hp-table th[data-key='h:optimizer'] .cb-hp-sort").click()
    opts = column(board, "optimizer")
    assert opts == sorted(opts)

    # brushing a number axis: the lower half of the objective axis keeps the low objectives
    hit = board.locator(".cb-hp-axis[data-key='m:hparam/objective'] .cb-hp-hit")
    drag(page, hit, 0.55, 0.97)
    lo, hi = min(objective.values()), max(objective.values())
    kept = rows(board)
    assert 0 < len(kept) < N
    assert all(objective[r] <= lo + 0.5 * (hi - lo) for r in kept), kept
    assert "study/trial_0" in kept  # the lowest: dragged to the axis' end, the brush is open there
    expect(board.locator("path.cb-hp-line[data-lit='1']")).to_have_count(len(kept))
    expect(board.locator("circle.cb-hp-pt:not(.cb-hp-dim)")).to_have_count(len(kept))
    expect(board.locator(".cb-hp-axis[data-key='m:hparam/objective'] .cb-hp-brush")).to_be_visible()
    board.screenshot(path=str(ARTIFACTS / "harness-hparams-brushed.png"))
    # a click on the axis clears its brush
    box = hit.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(N)

    # brushing a category axis: only the brushed optimizer
    n_adam = sum(1 for t in study.trials if t.params["optimizer"] == "adam")
    assert 0 < n_adam < N
    cats = board.locator(".cb-hp-axis[data-key='h:optimizer'] .cb-hp-tick").all_text_contents()
    i = cats.index("adam")
    k = len(cats)
    # categories sit at (i + 0.5) / k from the bottom of the plot; the hit area adds 6 px each side
    hbox = board.locator(".cb-hp-axis[data-key='h:optimizer'] .cb-hp-hit").bounding_box()
    plot_h = hbox["height"] - 12
    y_cat = hbox["y"] + 6 + plot_h * (1 - (i + 0.5) / k)
    x = hbox["x"] + hbox["width"] / 2
    page.mouse.move(x, y_cat - 8)
    page.mouse.down()
    page.mouse.move(x, y_cat + 8, steps=4)
    page.mouse.up()
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(n_adam)
    assert set(column(board, "optimizer")) == {"adam"}
    board.get_by_text("clear brushes and filters").click()
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(N)

    # the row filter and a per-column filter
    board.get_by_label("Filter sessions").fill("rmsprop")
    n_rms = sum(1 for t in study.trials if t.params["optimizer"] == "rmsprop")
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(n_rms)
    expect(board.locator("path.cb-hp-line")).to_have_count(n_rms)
    board.get_by_label("Filter sessions").fill("")
    board.get_by_label("Filter layers").fill(">=4")
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(
        sum(1 for t in study.trials if t.params["layers"] >= 4)
    )
    board.get_by_label("Filter layers").fill("")
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(N)

    # the board's run filter applies
    board.get_by_label("Filter runs").fill("trial_1")
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(3)  # trial_1, trial_10, trial_11
    board.get_by_label("Filter runs").fill("")
    expect(board.locator(".cb-hp-table tbody tr")).to_have_count(N)

    # hover a row: its line and point are highlighted; a point's tooltip shows its values
    board.locator(".cb-hp-table tbody tr[data-run='study/trial_3']").hover()
    expect(board.locator("path.cb-hp-line.cb-hp-hover")).to_have_attribute("data-run", "study/trial_3")
    expect(board.locator("circle.cb-hp-pt.cb-hp-hover")).to_have_attribute("data-run", "study/trial_3")
    dot = board.locator("circle.cb-hp-pt[data-run='study/trial_5']")
    dot.scroll_into_view_if_needed()
    dbox = dot.bounding_box()
    page.mouse.move(dbox["x"] + dbox["width"] / 2, dbox["y"] + dbox["height"] / 2)
    tip = board.locator(".cb-hp-sc .cb-tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("study/trial_5")
    expect(tip).to_contain_text("optimizer")
    expect(board.locator(".cb-hp-table tbody tr.cb-hp-hover")).to_have_attribute("data-run", "study/trial_5")
    board.screenshot(path=str(ARTIFACTS / "harness-hparams-scatter-tooltip.png"))

    # "Show metrics": a session's row expands into a chart per metric column, under the row
    # (trial_0: its objective has two points, the second sent live above)
    expander = board.get_by_label("Show metrics of study/trial_0")
    expect(expander).to_have_attribute("aria-expanded", "false")
    expander.click()
    detail = board.locator(".cb-hp-table tbody tr[data-run='study/trial_0'] + tr.cb-hp-detail")
    expect(detail.locator(".cb-scalar-card")).to_have_count(2)
    expect(detail.locator(".cb-scalar-card[data-tag='hparam/objective'] canvas").first).to_be_visible()
    expect(board.get_by_label("Show metrics of study/trial_0")).to_have_attribute("aria-expanded", "true")
    detail.scroll_into_view_if_needed()
    settle(board)
    assert detail.evaluate(INK_JS) > 50, "the metric charts are blank"
    detail.screenshot(path=str(ARTIFACTS / "harness-hparams-show-metrics.png"))
    board.get_by_label("Show metrics of study/trial_0").click()
    expect(board.locator("tr.cb-hp-detail")).to_have_count(0)

    # log scale on the lr axis (all positive)
    toggle = board.locator(".cb-hp-axis[data-key='h:lr'] .cb-hp-scale-toggle")
    expect(toggle).to_have_attribute("data-scale", "linear")
    toggle.click()
    expect(board.locator(".cb-hp-axis[data-key='h:lr'] .cb-hp-scale-toggle")).to_have_attribute("data-scale", "log")
    board.screenshot(path=str(ARTIFACTS / "harness-hparams-log-lr.png"))
    expect(board.locator("path.cb-hp-line")).to_have_count(N)

    assert not real_errors(errors), errors
    page.evaluate("() => window.hp.cleanup()")
    assert page.evaluate("() => window.hp.model.listenerCount()") == 0
    assert page.evaluate("() => window.hp.el.children.length") == 0
    page.close()


def test_hparams_tab_dark_theme(site, live_study):
    from playwright.sync_api import expect

    page, errors, board = mount(site, live_study, "dark")
    page.evaluate(f"() => window.hp.feed({len(live_study[2])})")
    expect(board).to_have_attribute("data-hparams-sessions", str(N), timeout=10_000)
    board.locator(".cb-tab[data-kind='hparams']").click()
    expect(board.locator("path.cb-hp-line")).to_have_count(N)
    page.wait_for_timeout(200)
    bg = board.locator(".cb-hp-table thead th").first.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert bg not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), bg  # the dark card colour
    board.screenshot(path=str(ARTIFACTS / "harness-hparams-dark.png"))
    assert not real_errors(errors), errors
    page.close()
