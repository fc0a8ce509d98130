"""A real Optuna study logged with cellboard: one hparams session per trial.

Each trial trains a toy model (a quadratic in its hyperparameters) and logs its loss per step
with a trial writer (run ``trial_<n>``); the study's writer then calls
``add_hparams(trial.params, {"hparam/objective": value}, run_name=f"trial_{n}")`` as torch users
do, so the session and its curve share the run. Checked: ``cellboard.load`` gives back every
trial's exact params, a Board sends one session entry per trial, and TensorBoard's own hparams
plugin lists the same sessions and metric values. ``tests/e2e/test_harness_hparams.py`` feeds
these Board messages to the frontend.
"""

from __future__ import annotations

import json
import math
import os
import warnings

import pytest

import cellboard
from cellboard.board import Board

optuna = pytest.importorskip("optuna")

N_TRIALS = 6
STEPS = 8
OPTIMIZERS = ["adam", "sgd", "rmsprop"]


def run_study(logdir, n_trials: int = N_TRIALS, seed: int = 0, store=None, on_trial=None):
    """A seeded TPE study of a toy objective; every trial is logged under ``logdir/trial_<n>``.

    With ``store`` (a live Board's), runs are named ``study/trial_<n>`` there; ``on_trial(study,
    trial)`` is called after each trial is logged (an Optuna callback)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    live = {} if store is None else {"store": store, "run": "study"}
    study_writer = cellboard.SummaryWriter(str(logdir), **live)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 6)
        optimizer = trial.suggest_categorical("optimizer", OPTIMIZERS)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        # a toy training curve: converges to a floor set by the hyperparameters
        floor = (math.log10(lr) + 2.5) ** 2 * 0.1 + 0.03 * abs(layers - 3) + 0.2 * dropout
        floor += {"adam": 0.0, "sgd": 0.08, "rmsprop": 0.04}[optimizer]
        trial_live = {} if store is None else {"store": store, "run": f"study/trial_{trial.number}"}
        with cellboard.SummaryWriter(os.path.join(str(logdir), f"trial_{trial.number}"), **trial_live) as w:
            loss = 1.0
            for step in range(STEPS):
                loss = floor + (loss - floor) * 0.6
                w.add_scalar("train/loss", loss, step)
        study_writer.add_hparams(
            trial.params,
            {"hparam/objective": loss, "hparam/accuracy": 1.0 - loss / 2},
            run_name=f"trial_{trial.number}",
        )
        study_writer.flush()
        return loss

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna's experimental-feature warnings
        study.optimize(objective, n_trials=n_trials, callbacks=[on_trial] if on_trial else None)
    study_writer.close()
    return study


def board_messages(store) -> list[tuple[dict, list[bytes]]]:
    """What a Board on this store sends a view that says hello (content, buffers)."""
    board = Board(store, interval=0.0)
    sent: list[tuple[dict, list[bytes]]] = []
    board.send = lambda content, buffers=None: sent.append((content, [bytes(b) for b in buffers or []]))
    try:
        board._on_msg(board, {"type": "hello"}, [])
        board.send_pending()
    finally:
        board.close()
    return sent


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("optuna")
    study = run_study(logdir)
    return logdir, study


def test_load_gives_one_session_per_trial_with_exact_params(study_dir):
    logdir, study = study_dir
    logs = cellboard.load(logdir)
    assert len(study.trials) == N_TRIALS
    for t in study.trials:
        run = f"trial_{t.number}"
        (session,) = logs.hparams(run)
        assert session.hparams == t.params
        for k, v in t.params.items():  # ints stay ints, floats exact, categories strings
            assert type(session.hparams[k]) is type(v), (k, session.hparams[k], v)
        assert isinstance(session.hparams["layers"], int)
        assert isinstance(session.hparams["optimizer"], str)
        assert session.hparams["lr"] == t.params["lr"]  # float64 on the wire: exact
        assert session.metrics == ["hparam/objective", "hparam/accuracy"]
        # the metric values are the run's scalar series; the curve is in the same run
        assert logs.scalars(run, "hparam/objective").values[-1] == pytest.approx(t.value, rel=1e-6)
        assert list(logs.scalars(run, "train/loss").steps) == list(range(STEPS))
    sessions = [r for r in logs.runs if logs.hparams(r)]
    assert sorted(sessions) == sorted(f"trial_{t.number}" for t in study.trials)


def test_board_sends_one_session_entry_per_trial(study_dir):
    logdir, study = study_dir
    messages = board_messages(cellboard.load(logdir))
    assert messages
    for content, buffers in messages:
        json.dumps(content)  # JSON-able as it goes over the comm
        assert sum(len(b) for b in buffers) < 2 * 1024 * 1024
    entries = [e for c, _ in messages for e in c.get("entries", {}).get("hparams", [])]
    sessions = [e for e in entries if e["tag"] == "_hparams_/session_start_info"]
    experiments = [e for e in entries if e["tag"] == "_hparams_/experiment"]
    assert sorted(e["run"] for e in sessions) == sorted(f"trial_{t.number}" for t in study.trials)
    by_run = {e["run"]: e for e in sessions}
    for t in study.trials:
        e = by_run[f"trial_{t.number}"]
        assert e["hparams"] == t.params
        assert isinstance(e["hparams"]["layers"], int) and isinstance(e["hparams"]["optimizer"], str)
    assert {m for e in experiments for m in e["metrics"]} == {"hparam/objective", "hparam/accuracy"}
    # and the metric values the view reads: each session run's scalar series
    scalar_keys = {(e["run"], e["tag"]) for c, _ in messages for e in c.get("entries", {}).get("scalars", [])}
    for t in study.trials:
        assert (f"trial_{t.number}", "hparam/objective") in scalar_keys
        assert (f"trial_{t.number}", "train/loss") in scalar_keys


def test_tensorboards_hparams_plugin_lists_the_sessions(study_dir):
    pytest.importorskip("tensorboard")
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups

    logdir, study = study_dir
    mux = pem.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    tb = backend_context.Context(
        base_plugin.TBContext(
            logdir=str(logdir), multiplexer=mux, data_provider=data_provider.MultiplexerDataProvider(mux, str(logdir))
        )
    )
    rc = context.RequestContext()
    exp = get_experiment.Handler(rc, tb, "", api_pb2.GetExperimentRequest()).run()
    assert {h.name for h in exp.hparam_infos} == {"lr", "layers", "optimizer", "dropout"}
    assert {m.name.tag for m in exp.metric_infos} == {"hparam/objective", "hparam/accuracy"}

    req = api_pb2.ListSessionGroupsRequest(
        start_index=0,
        slice_size=100,
        allowed_statuses=[
            api_pb2.STATUS_UNKNOWN,
            api_pb2.STATUS_SUCCESS,
            api_pb2.STATUS_FAILURE,
            api_pb2.STATUS_RUNNING,
        ],
    )
    for h in exp.hparam_infos:
        req.col_params.add(hparam=h.name)
    for m in exp.metric_infos:
        req.col_params.add(metric=m.name)
    groups = {g.name: g for g in list_session_groups.Handler(rc, tb, "", req).run().session_groups}
    assert sorted(groups) == sorted(f"trial_{t.number}" for t in study.trials)
    for t in study.trials:
        g = groups[f"trial_{t.number}"]
        assert g.hparams["lr"].number_value == t.params["lr"]
        assert g.hparams["layers"].number_value == t.params["layers"]
        assert g.hparams["optimizer"].string_value == t.params["optimizer"]
        assert g.hparams["dropout"].number_value == t.params["dropout"]
        metrics = {m.name.tag: m.value for m in g.metric_values}
        assert metrics["hparam/objective"] == pytest.approx(t.value, rel=1e-6)
        assert [s.status for s in g.sessions] == [api_pb2.STATUS_SUCCESS]
