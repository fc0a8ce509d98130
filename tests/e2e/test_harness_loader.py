"""loader.js, the board's ``_esm``, in headless Chromium, fed what a real Board sends: it inflates
the gzip-compressed board (``_board_gz64``, base64) with the browser's DecompressionStream, imports it once
per page and bundle key, hands the board the messages that arrived while it loaded (with no kernel
to answer the view's hello, the points on the board are those), and says why when the code is
missing.
"""

from __future__ import annotations

import base64
import gzip

import numpy as np

from .frontend_harness import BUNDLE, open_harness, real_errors
from .test_harness_custom_distributions import captured_board

LOAD_JS = """async ({gz64, key, messages}) => {
  const H = window.cellboardHarness;
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const loader = (await import('/python_pkg/cellboard/static/loader.js')).default;
  const settings = { smoothing: 0.6, x_axis: 'step', log_y: false, ignore_outliers: true, tag_filter: '',
    run_filter: '', height: 420, title: '' };
  const mount = async (attrs, title) => {
    const model = new H.FakeModel({ ...settings, ...attrs, title });
    const init = loader.initialize({ model });
    // sent while the board's module loads: the loader keeps them for the board
    for (const m of messages) model.emit('msg:custom', m.content, m.buffers.map((b) => new DataView(bytes(b).buffer)));
    await init;
    const el = document.createElement('div');
    el.className = 'loaded';
    document.querySelector('.cell').append(el);
    await loader.render({ model, el });
    return el;
  };
  await mount({ _board_gz64: gz64, _board_key: key }, 'first');
  // the same key: the module loaded once is used, even without the code
  await mount({ _board_gz64: '', _board_key: key }, 'second');
  // no code and an unknown key: the view says why
  const broken = await mount({ _board_gz64: '', _board_key: 'other' }, 'broken');
  return broken.textContent;
}"""


def test_loader_inflates_the_board_and_hands_it_the_messages_sent_meanwhile(site, tmp_path):
    from playwright.sync_api import expect

    from cellboard import SummaryWriter

    board, cap = captured_board()
    with SummaryWriter(str(tmp_path / "run"), store=board.store) as w:
        for s in range(50):
            w.add_scalar("loss", float(np.exp(-s / 20)), s)
    board.send_pending()
    messages = cap.take()
    gz64, key = board._board_gz64, board._board_key
    board.close()
    assert gzip.decompress(base64.b64decode(gz64)) == BUNDLE.read_bytes()
    assert len(gz64) < 0.45 * BUNDLE.stat().st_size  # what each board's state carries instead of the bundle

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=(1280, 1400))
    broken = page.evaluate(LOAD_JS, {"gz64": gz64, "key": key, "messages": messages})
    assert broken == "cellboard could not load its board: the board's code (_board_gz64) did not arrive"
    boards = page.locator(".cell .loaded.cellboard")
    expect(boards).to_have_count(2)
    for i in range(2):
        expect(boards.nth(i).locator(".cb-summary")).to_contain_text("50 points")
        expect(boards.nth(i).locator(".cb-scalar-card[data-tag='loss'] canvas").first).to_be_visible()
    # the broken board's load failure is logged to the console too; nothing else went wrong
    assert [e for e in real_errors(errors) if "did not arrive" not in e] == [], errors
    page.close()
