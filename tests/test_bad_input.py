"""Bad input raises TypeError/ValueError naming the argument and what was expected, at the call.

Nothing already logged is lost: after every bad call the writer keeps working, and what was
logged before (and after) it is on disk once the writer is closed.
"""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from _tbutil import legacy_acc

import cellboard

NAN = float("nan")

# (id, call, exception, regex the message must match: the argument's name and what was expected)
BAD_CALLS = [
    ("tag_empty", lambda w: w.add_scalar("", 1.0), ValueError, r"tag must be a non-empty str"),
    ("tag_int", lambda w: w.add_scalar(3, 1.0), TypeError, r"tag must be a non-empty str, got int"),
    ("tag_none", lambda w: w.add_scalar(None, 1.0), TypeError, r"tag must be a non-empty str, got NoneType"),
    ("tag_bytes_image", lambda w: w.add_image(b"img", np.zeros((3, 2, 2))), TypeError, r"tag must be a non-empty str"),
    ("value_str", lambda w: w.add_scalar("x", "1.0"), TypeError, r"scalar_value must be a number.*got str"),
    ("value_none", lambda w: w.add_scalar("x", None), TypeError, r"scalar_value must be a number.*got NoneType"),
    ("value_list2", lambda w: w.add_scalar("x", [1.0, 2.0]), TypeError, r"scalar_value must be a number.*got list"),
    ("value_dict", lambda w: w.add_scalar("x", {"a": 1}), TypeError, r"scalar_value must be a number.*got dict"),
    ("value_complex", lambda w: w.add_scalar("x", 1 + 2j), TypeError, r"scalar_value must be a number.*complex"),
    (
        "value_tensor2",
        lambda w: w.add_scalar("x", torch.tensor([1.0, 2.0])),
        ValueError,
        r"scalar_value must hold exactly one number, got a tensor of shape \(2,\)",
    ),
    (
        "value_complex_tensor",
        lambda w: w.add_scalar("x", torch.tensor(1 + 1j)),
        TypeError,
        r"scalar_value must be real",
    ),
    (
        "value_array2",
        lambda w: w.add_scalar("x", np.array([1.0, 2.0])),
        ValueError,
        r"scalar_value must hold exactly one number, got an array of shape \(2,\)",
    ),
    ("value_str_array", lambda w: w.add_scalar("x", np.array(["a"])), TypeError, r"scalar_value must be a real number"),
    ("step_str", lambda w: w.add_scalar("x", 1.0, "3"), TypeError, r"global_step must be an int or None, got '3'"),
    ("step_fraction", lambda w: w.add_scalar("x", 1.0, 1.5), TypeError, r"global_step must be an int or None, got 1.5"),
    ("step_bool", lambda w: w.add_scalar("x", 1.0, True), TypeError, r"global_step must be an int or None"),
    ("step_too_big", lambda w: w.add_scalar("x", 1.0, 2**64), ValueError, r"global_step must fit in a signed 64-bit"),
    ("step_too_small", lambda w: w.add_scalar("x", 1.0, -(2**63) - 1), ValueError, r"global_step must fit"),
    ("step_too_big_histogram", lambda w: w.add_histogram("h", [1.0], 2**63), ValueError, r"global_step must fit"),
    (
        "walltime_str",
        lambda w: w.add_scalar("x", 1.0, 1, walltime="now"),
        TypeError,
        r"walltime must be a number .*got 'now'",
    ),
    ("scalars_empty", lambda w: w.add_scalars("m", {}), TypeError, r"tag_scalar_dict must be a non-empty dict"),
    ("scalars_not_dict", lambda w: w.add_scalars("m", [1.0]), TypeError, r"tag_scalar_dict must be a non-empty dict"),
    (
        "scalars_bad_value",
        lambda w: w.add_scalars("m", {"a": 1.0, "b": "x"}),
        TypeError,
        r"tag_scalar_dict\['b'\] must be a number",
    ),
    (
        "scalars_bad_key",
        lambda w: w.add_scalars("m", {"": 1.0}),
        ValueError,
        r"tag_scalar_dict key must be a non-empty",
    ),
    ("scalars_main_tag", lambda w: w.add_scalars("", {"a": 1.0}), ValueError, r"main_tag must be a non-empty str"),
    (
        "image_dataformats",
        lambda w: w.add_image("i", np.zeros((3, 4, 5)), dataformats="XYZ"),
        ValueError,
        r"dataformats must be one of 'CHW', 'HWC', 'HW'.*got 'XYZ'",
    ),
    (
        "image_dataformats_none",
        lambda w: w.add_image("i", np.zeros((3, 4, 5)), dataformats=None),
        ValueError,
        r"dataformats must be one of",
    ),
    (
        "image_ndim",
        lambda w: w.add_image("i", np.zeros((4, 5))),
        ValueError,
        r"img_tensor with dataformats='CHW' must have 3 dimensions, got shape \(4, 5\)",
    ),
    (
        "image_ndim_hw",
        lambda w: w.add_image("i", np.zeros((3, 4, 5)), dataformats="HW"),
        ValueError,
        r"img_tensor with dataformats='HW' must have 2 dimensions",
    ),
    (
        "multiline_str",
        lambda w: w.add_custom_scalars_multilinechart("loss"),
        TypeError,
        r"tags must be a list of tags \(regexes\), got a str: 'loss'; wrap it: \['loss'\]",
    ),
    (
        "margin_str",
        lambda w: w.add_custom_scalars_marginchart("loss"),
        TypeError,
        r"tags must be a list of tags",
    ),
    (
        "image_channels",
        lambda w: w.add_image("i", np.zeros((2, 4, 5))),
        ValueError,
        r"img_tensor must have 1, 3 or 4 channels \(dataformats='CHW'\), got shape \(2, 4, 5\) \(2 channels\)",
    ),
    (
        "image_channels_hwc",
        lambda w: w.add_image("i", np.zeros((4, 5, 5)), dataformats="HWC"),
        ValueError,
        r"img_tensor must have 1, 3 or 4 channels \(dataformats='HWC'\), got shape \(4, 5, 5\) \(5 channels\)",
    ),
    (
        "image_empty",
        lambda w: w.add_image("i", np.zeros((3, 0, 5))),
        ValueError,
        r"img_tensor must not be empty, got shape \(3, 0, 5\)",
    ),
    ("image_str", lambda w: w.add_image("i", "picture.png"), TypeError, r"img_tensor must be numeric array-like"),
    ("image_object", lambda w: w.add_image("i", [[object()]]), TypeError, r"img_tensor must be numeric array-like"),
    (
        "images_ndim",
        lambda w: w.add_images("i", np.zeros((3, 4, 5))),
        ValueError,
        r"img_tensor with dataformats='NCHW' must have 4 dimensions",
    ),
    (
        "images_dataformats",
        lambda w: w.add_images("i", np.zeros((2, 3, 4, 5)), dataformats="CHW"),
        ValueError,
        r"dataformats must be one of 'NCHW', 'NHWC'",
    ),
    (
        "images_channels",
        lambda w: w.add_images("i", np.zeros((2, 2, 4, 5))),
        ValueError,
        r"img_tensor must have 1, 3 or 4 channels \(dataformats='NCHW'\), got shape \(2, 2, 4, 5\) \(2 channels\)",
    ),
    (
        "images_none",
        lambda w: w.add_images("i", np.zeros((0, 3, 4, 5))),
        ValueError,
        r"img_tensor must hold at least one image",
    ),
    ("figure_str", lambda w: w.add_figure("f", "fig"), TypeError, r"figure must be a matplotlib Figure"),
    ("figure_empty_list", lambda w: w.add_figure("f", []), TypeError, r"figure must be a matplotlib Figure"),
    (
        "bins_zero",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins=0),
        ValueError,
        r"bins must be a positive int, got 0",
    ),
    (
        "bins_negative",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins=-4),
        ValueError,
        r"bins must be a positive int, got -4",
    ),
    (
        "bins_rule",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins="nope"),
        ValueError,
        r"bins must be 'tensorflow', a numpy bin rule.*got 'nope'",
    ),
    (
        "bins_decreasing",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins=[3.0, 2.0, 1.0]),
        ValueError,
        r"bins must be at least two finite, strictly increasing edges",
    ),
    ("bins_one_edge", lambda w: w.add_histogram("h", [1.0, 2.0], bins=[1.0]), ValueError, r"bins must be at least two"),
    (
        "bins_nan_edge",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins=[0.0, NAN, 3.0]),
        ValueError,
        r"bins must be at least two finite",
    ),
    (
        "max_bins_zero",
        lambda w: w.add_histogram("h", [1.0, 2.0], max_bins=0),
        ValueError,
        r"max_bins must be a positive int or None, got 0",
    ),
    (
        "max_bins_float",
        lambda w: w.add_histogram("h", [1.0, 2.0], max_bins=2.5),
        ValueError,
        r"max_bins must be a positive int or None, got 2.5",
    ),
    (
        "max_bins_str",
        lambda w: w.add_histogram("h", [1.0, 2.0], max_bins="10"),
        ValueError,
        r"max_bins must be a positive int or None",
    ),
    (
        "histogram_all_nan",
        lambda w: w.add_histogram("h", np.full(5, NAN)),
        ValueError,
        r"values must contain at least one finite number",
    ),
    (
        "histogram_empty",
        lambda w: w.add_histogram("h", np.zeros(0)),
        ValueError,
        r"values must contain at least one finite number",
    ),
    ("histogram_str", lambda w: w.add_histogram("h", "1 2 3"), TypeError, r"values must be numeric array-like"),
    (
        "histogram_raw_lengths",
        lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [1.0, 2.0], [1.0]),
        ValueError,
        r"bucket_limits and bucket_counts must have the same length, got 2 and 1",
    ),
    (
        "histogram_raw_empty",
        lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [], []),
        ValueError,
        r"bucket_limits must not be empty",
    ),
    (
        "histogram_raw_order",
        lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [2.0, 1.0], [1, 1]),
        ValueError,
        r"bucket_limits must be non-decreasing",
    ),
    (
        "histogram_raw_negative",
        lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [1.0, 2.0], [1, -1]),
        ValueError,
        r"bucket_counts must not be negative",
    ),
    (
        "histogram_raw_min",
        lambda w: w.add_histogram_raw("h", "lo", 1, 2, 1, 1, [1.0], [2]),
        TypeError,
        r"min must be a number",
    ),
    ("text_not_str", lambda w: w.add_text("t", 42), TypeError, r"text_string must be a str, got int"),
    (
        "audio_rate",
        lambda w: w.add_audio("a", np.zeros(10), sample_rate=0),
        ValueError,
        r"sample_rate must be a positive int, got 0",
    ),
    ("audio_shape", lambda w: w.add_audio("a", np.zeros((2, 3, 4))), ValueError, r"snd_tensor must have shape"),
    ("audio_empty", lambda w: w.add_audio("a", np.zeros(0)), ValueError, r"snd_tensor must have shape"),
    ("pr_range", lambda w: w.add_pr_curve("p", [0, 1], [0.5, 1.5]), ValueError, r"predictions must lie in \[0, 1\]"),
    (
        "pr_sizes",
        lambda w: w.add_pr_curve("p", [0, 1, 1], [0.5, 0.2]),
        ValueError,
        r"labels and predictions must have the same size, got 3 and 2",
    ),
    (
        "pr_thresholds",
        lambda w: w.add_pr_curve("p", [0, 1], [0.5, 0.2], num_thresholds=1),
        ValueError,
        r"num_thresholds must be an int >= 2, got 1",
    ),
    (
        "pr_weights",
        lambda w: w.add_pr_curve("p", [0, 1], [0.5, 0.2], weights=[1.0]),
        ValueError,
        r"weights must have the same size as predictions",
    ),
    (
        "pr_raw_lengths",
        lambda w: w.add_pr_curve_raw("p", [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1]),
        ValueError,
        r"the counts, precision and recall must all have the same length",
    ),
    (
        "hparams_value",
        lambda w: w.add_hparams({"layers": [1, 2]}, {"m": 1.0}),
        TypeError,
        r"hparam_dict\['layers'\] must be a bool, int, float, str or None, got list",
    ),
    (
        "hparams_not_dict",
        lambda w: w.add_hparams([("lr", 1)], {"m": 1.0}),
        TypeError,
        r"hparam_dict and metric_dict must both be dicts",
    ),
    (
        "hparams_metric",
        lambda w: w.add_hparams({"lr": 0.1}, {"m": "high"}),
        TypeError,
        r"metric_dict\['m'\] must be a number",
    ),
    (
        "hparams_domain",
        lambda w: w.add_hparams({"lr": 0.1}, {"m": 1.0}, {"lr": ["a"]}),
        ValueError,
        r"hparam_domain_discrete\['lr'\] must be a list of values of the same type as hparam_dict\['lr'\]",
    ),
    (
        "custom_scalars_kind",
        lambda w: w.add_custom_scalars({"c": {"t": ["Pie", ["a"]]}}),
        ValueError,
        r"layout\['c'\]\['t'\] must be \['Multiline'\|'Margin', \[tags\]\]",
    ),
    (
        "custom_scalars_margin",
        lambda w: w.add_custom_scalars_marginchart(["a", "b"]),
        ValueError,
        r"a Margin chart needs exactly 3 tags",
    ),
    ("custom_scalars_layout", lambda w: w.add_custom_scalars(["c"]), TypeError, r"layout must be a dict"),
    (
        "custom_scalars_tag_type",
        lambda w: w.add_custom_scalars({"c": {"t": ["Multiline", ["a", 3]]}}),
        TypeError,
        r"layout\['c'\]\['t'\] tags must be a list of str",
    ),
    (
        "custom_scalars_tags_str",
        lambda w: w.add_custom_scalars({"c": {"t": ["Multiline", "loss"]}}),
        TypeError,
        r"layout\['c'\]\['t'\] tags must be a list of str, got 'loss'",
    ),
    (
        "hparams_run_name",
        lambda w: w.add_hparams({"lr": 0.1}, {"m": 1.0}, run_name=3),
        TypeError,
        r"run_name must be a str or None, got int",
    ),
    (
        "pr_nan_prediction",
        lambda w: w.add_pr_curve("p", [0, 1], [0.5, NAN]),
        ValueError,
        r"predictions must lie in \[0, 1\]",
    ),
    (
        "histogram_str_array",
        lambda w: w.add_histogram("h", np.array(["1", "2"])),
        TypeError,
        r"values must be numeric array-like",
    ),
    (
        "image_str_array",
        lambda w: w.add_image("i", np.full((3, 2, 2), "x")),
        TypeError,
        r"img_tensor must be numeric array-like",
    ),
    (
        "audio_rate_huge",
        lambda w: w.add_audio("a", np.zeros(10), sample_rate=2**40),
        ValueError,
        r"sample_rate must be a positive int",
    ),
]


@pytest.mark.parametrize("call,exc,message", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_call_raises_and_keeps_what_was_logged(tmp_path, call, exc, message):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("before", 1.0, 1, walltime=1000.0)
    w.add_image("before_img", np.full((3, 2, 2), 9, np.uint8), 1, walltime=1000.0)
    with pytest.raises(exc) as info:
        call(w)
    assert re.search(message, str(info.value)), str(info.value)
    w.add_scalar("after", 2.0, 2, walltime=1001.0)
    w.close()

    logs = cellboard.load(tmp_path)
    assert logs.runs == ["."]  # the bad call made no sub-run (add_scalars, add_hparams)
    tags = logs.tags(".")
    assert tags["scalars"] == ["after", "before"]
    assert all(tags[k] == [] for k in ("histograms", "text", "audio", "pr_curves", "hparams"))
    assert tags["images"] == ["before_img"]
    for tag, step, wall, value in (("before", 1, 1000.0, 1.0), ("after", 2, 1001.0, 2.0)):
        sc = logs.scalars(".", tag)
        assert (sc.steps.tolist(), sc.wall_times.tolist(), sc.values.tolist()) == ([step], [wall], [value])
    # TensorBoard reads the files cleanly too
    acc = legacy_acc(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("before")] == [(1, 1.0)]
    assert [e.step for e in acc.Images("before_img")] == [1]


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"flush_secs": 0}, ValueError, r"flush_secs must be a positive number, got 0"),
        ({"flush_secs": -1}, ValueError, r"flush_secs must be a positive number"),
        ({"flush_secs": "10"}, ValueError, r"flush_secs must be a positive number, got '10'"),
        ({"max_queue": 0}, ValueError, r"max_queue must be a positive int, got 0"),
        ({"comment": 3}, TypeError, r"comment must be a str, got int"),
        ({"filename_suffix": None}, TypeError, r"filename_suffix must be a str, got NoneType"),
        ({"purge_step": "5"}, TypeError, r"purge_step must be an int or None, got '5'"),
        ({"purge_step": 2**70}, ValueError, r"purge_step must fit in a signed 64-bit int"),
    ],
)
def test_bad_writer_arguments(tmp_path, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        cellboard.SummaryWriter(tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_add_scalars_with_one_bad_value_logs_none_of_them(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    with pytest.raises(TypeError):
        w.add_scalars("m", {"good": 1.0, "bad": None}, 1)
    w.add_scalars("m", {"good": 2.0}, 2)
    w.close()
    logs = cellboard.load(tmp_path)
    assert logs.runs == [".", "m_good"]
    assert logs.scalars("m_good", "m").values.tolist() == [2.0]


def test_accepted_edge_values_are_not_errors(tmp_path):
    """Values that look odd but are valid: NaN/inf scalars, numpy/torch integer steps, 0-d arrays."""
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("x", NAN, np.int64(1))
    w.add_scalar("x", float("inf"), torch.tensor(2))
    w.add_scalar("x", np.array(3.5), 3.0)  # an integral float step, as torch accepts
    w.add_scalar("x", torch.tensor([4.5]), np.uint8(4))
    w.close()
    sc = cellboard.load(tmp_path).scalars(".", "x")
    assert sc.steps.tolist() == [1, 2, 3, 4]
    assert np.isnan(sc.values[0]) and sc.values[1:].tolist() == [np.inf, 3.5, 4.5]
