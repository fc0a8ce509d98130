"""A log directory that loads in the background shows how far it has got on the board."""

from __future__ import annotations

import cellboard


def test_the_board_is_sent_loading_progress_until_the_first_read_is_done(tmp_path):
    for r in range(5):
        with cellboard.SummaryWriter(str(tmp_path / f"run{r}")) as w:
            for i in range(50):
                w.add_scalar("loss", 1.0 / (i + 1), i)
    sent: list[dict] = []
    board = cellboard.open(tmp_path, follow=False)
    try:
        board.send = lambda content, buffers=None: sent.append(content)
        assert board.follower.wait(30)
        board._on_msg(board, {"type": "hello"}, [])
        board.send_pending()
        final = [c["progress"] for c in sent if "progress" in c][-1]
        assert final["loading"] is False
        assert final["runs_read"] == final["runs"] == 5
        assert final["bytes_read"] == final["bytes"] > 0
        assert board.store.progress == final
    finally:
        board.close()
