"""``%cellboard`` speaks ``%tensorboard``'s flags, parses with ``magic_arguments``, raises UsageError;
sweeps (Ray Tune's layout, Optuna trials) open as one run per trial."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import cellboard
from cellboard import magics


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "cellboard")
    return sh


@pytest.fixture
def logdir(tmp_path):
    for run in ("a", "b"):
        with cellboard.SummaryWriter(tmp_path / "logs" / run) as w:
            for i in range(4):
                w.add_scalar("loss", float(i), i)
    return tmp_path / "logs"


def _shown(out) -> int:
    return sum("application/vnd.jupyter.widget-view+json" in o.data for o in out.outputs)


def _open(shell, line: str):
    with capture_output() as out:
        shell.run_line_magic("cellboard", line)
    board = magics.last_board
    if "--no-follow" in line:
        assert board.follower.wait(10)  # --no-follow reads once, in the background
    return board, out


def test_tensorboard_style_logdir_and_reload_interval(shell, logdir):
    board, out = _open(shell, f"--logdir {logdir} --reload_interval 0.5 --no-follow")
    assert _shown(out) == 1 and board.store.runs == ["a", "b"]
    board, _ = _open(shell, f"--logdir={logdir} --reload_interval=0.25")
    assert board.follower.reload_interval == 0.25
    board.close()


def test_server_flags_are_ignored_with_one_line(shell, logdir):
    _, out = _open(shell, f"--logdir {logdir} --port 6006 --host 0.0.0.0 --bind_all --no-follow")
    lines = [ln for ln in out.stdout.splitlines() if "ignored" in ln]
    assert len(lines) == 1 and "--port" in lines[0] and "--host" in lines[0] and "--bind_all" in lines[0]
    assert _shown(out) == 1


def test_samples_per_plugin_is_checked_and_noted(shell, logdir):
    _, out = _open(shell, f"--logdir {logdir} --samples_per_plugin scalars=500,images=10 --no-follow")
    assert "--samples_per_plugin ignored" in out.stdout and _shown(out) == 1
    with pytest.raises(UsageError, match="PLUGIN=N"):
        shell.run_line_magic("cellboard", f"--logdir {logdir} --samples_per_plugin scalars")


def test_logdir_spec_names_become_run_prefixes(shell, tmp_path, logdir):
    with cellboard.SummaryWriter(tmp_path / "other" / "c") as w:
        w.add_scalar("loss", 1.0, 0)
    board, out = _open(shell, f"--logdir_spec first:{logdir},second:{tmp_path / 'other'} --no-follow")
    assert _shown(out) == 1
    assert board.store.runs == ["first/a", "first/b", "second/c"]
    assert board.store.scalars("first/b", "loss").values.tolist() == [0, 1, 2, 3]
    board, _ = _open(shell, f"--logdir_spec first:{logdir},{tmp_path / 'other'} --reload_interval 0.05")
    import time

    deadline = time.monotonic() + 5
    while len(board.store.runs) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert board.store.runs == ["c", "first/a", "first/b"] and board.follower.following
    board.close()
    assert not board.follower.following


def test_a_prefixed_follower_names_every_run_under_its_prefix(tmp_path, monkeypatch):
    """``--logdir_spec NAME:DIR``: the follower names the runs it reads ``NAME/run`` (the top
    directory ``NAME``) everywhere it uses the store, so the board's size estimates end with the
    read (``read_done``) and the runs list says what the store holds."""
    from cellboard.logdir import LogdirFollower
    from cellboard.store import Store

    for run in (".", "a"):
        with cellboard.SummaryWriter(tmp_path / run) as w:
            for step in range(20):  # a tag only at the start: its estimate is left by a middle chunk
                w.add_scalar("early", 1.0, step)
            for step in range(50):
                w.add_scalar("loss", 1.0, step)
    from cellboard import reader

    monkeypatch.setattr(reader, "READ_CHUNK", 512)  # several chunks per file: estimates while reading
    store = Store()
    estimates = []
    real = store.append_scalars
    monkeypatch.setattr(store, "append_scalars", lambda *a: estimates.append(a[-1]) or real(*a))
    follower = LogdirFollower(str(tmp_path), store, run_prefix="first")
    follower.poll()
    assert store.runs == ["first", "first/a"] and follower.runs == ["first", "first/a"]
    assert store.scalars("first/a", "loss").steps.tolist() == list(range(50))
    assert any(e is not None for e in estimates)
    assert store._expected == {}  # every estimate given while reading was cleared under its own name


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--frobnicate", "unrecognized arguments: --frobnicate"),
        ("", "a log directory is required"),
        ("{logdir} --reload-interval -1", "--reload-interval must be a positive number"),
        ("{logdir} --logdir /elsewhere", "two log directories given"),
        ("{logdir} --logdir_spec a:/x", "not both"),
        ("--logdir_spec a:/x,a:/y", "names must be unique"),
        ("{logdir} --runs '('", "--runs must be a valid regular expression"),
        ("{logdir} --height abc", "invalid int value"),
        ("'{logdir}", "No closing quotation"),
    ],
)
def test_bad_usage_raises_usage_error(shell, logdir, line, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        shell.run_line_magic("cellboard", line.format(logdir=logdir))


def test_help_is_the_magics_docstring(shell):
    doc = magics.cellboard_magic.__doc__
    for flag in (
        "--logdir",
        "--logdir_spec",
        "--reload-interval",
        "--samples_per_plugin",
        "--port",
        "--patch",
        "--no-follow",
        "--runs",
        "--tags",
        "--height",
    ):
        assert flag in doc
    with capture_output() as out:
        shell.run_line_magic("pinfo", "%cellboard")
    assert "--logdir_spec" in out.stdout or "--logdir_spec" in str(out.outputs)


def test_ray_tune_layout_opens_one_run_per_trial(shell, tmp_path):
    """Ray Tune writes ``<exp>/<trial>/events...`` (tensorboardX) with '=' and ',' in trial names."""
    tbx = pytest.importorskip("tensorboardX")
    exp = tmp_path / "ray_results" / "train_fn_2024-01-01_00-00-00"
    trials = [
        f"train_fn_3b2e1_0000{i}_{i}_lr={lr:.4f},momentum=0.9000_2024-01-01_00-00-0{i}"
        for i, lr in enumerate((0.1, 0.01, 0.001))
    ]
    for i, trial in enumerate(trials):
        (exp / trial).mkdir(parents=True)
        (exp / trial / "params.json").write_text("{}")
        w = tbx.SummaryWriter(str(exp / trial), flush_secs=1)
        for it in range(3):
            w.add_scalar("ray/tune/mean_loss", 1.0 / (i + it + 1), it)
        w.close()
    board, out = _open(shell, f'"{exp}" --no-follow')
    assert _shown(out) == 1, out.stdout
    assert board.store.runs == sorted(trials)
    board, _ = _open(shell, f'--logdir "{exp.parent}" --no-follow')
    assert board.store.runs == sorted(f"{exp.name}/{t}" for t in trials)


def test_optuna_trials_open_one_run_per_trial(shell, tmp_path):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    root = tmp_path / "optuna"

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        with cellboard.SummaryWriter(root / f"trial_{trial.number}") as w:
            loss = 1.0
            for step in range(5):
                loss *= 1 - lr
                w.add_scalar("loss", loss, step)
            w.add_hparams({"lr": lr}, {"final_loss": loss}, run_name=".")
        return loss

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=4)
    board, out = _open(shell, f"{root} --no-follow")
    assert _shown(out) == 1 and board.store.runs == [f"trial_{i}" for i in range(4)]
    for i, t in enumerate(study.trials):
        assert board.store.scalars(f"trial_{i}", "loss").values[-1] == pytest.approx(t.value, rel=1e-6)
        (session,) = board.store.hparams(f"trial_{i}")
        assert session.hparams["lr"] == pytest.approx(t.params["lr"])
