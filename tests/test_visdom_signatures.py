"""cellboard.Visdom's methods take the parameters of Visdom's own type stub (py/visdom/__init__.pyi
in fossasia/visdom), in the same order: a call written for Visdom works positionally and by name.

The stub's parameter lists are pinned here (names only); when the visdom package is installed
its real signatures are compared too.
"""

from __future__ import annotations

import inspect

import pytest

from cellboard import Visdom

# method -> parameter names after self, as in visdom/__init__.pyi (svg: the implementation's
# svgstr/svgfile keyword pair, which the stub's two overloads describe)
STUB = {
    "__init__": [
        "server",
        "endpoint",
        "port",
        "base_url",
        "ipv6",
        "http_proxy_host",
        "http_proxy_port",
        "env",
        "send",
        "raise_exceptions",
        "use_incoming_socket",
        "log_to_filename",
    ],
    "save": ["envs"],
    "close": ["win", "env"],
    "get_window_data": ["win", "env"],
    "delete_env": ["env"],
    "win_exists": ["win", "env"],
    "check_connection": [],
    "text": ["text", "win", "env", "opts", "append"],
    "svg": ["svgstr", "svgfile", "win", "env", "opts"],
    "matplot": ["plot", "opts", "env", "win"],
    "image": ["img", "win", "env", "opts"],
    "images": ["tensor", "nrow", "padding", "win", "env", "opts"],
    "audio": ["tensor", "audiofile", "win", "env", "opts"],
    "update_window_opts": ["win", "opts", "env"],
    "scatter": ["X", "Y", "win", "env", "opts", "update", "name"],
    "line": ["Y", "X", "win", "env", "opts", "update", "name"],
    "heatmap": ["X", "win", "env", "update", "opts"],
    "bar": ["X", "Y", "win", "env", "opts"],
    "histogram": ["X", "win", "env", "opts"],
    "boxplot": ["X", "win", "env", "opts"],
    "surf": ["X", "win", "env", "opts"],
    "contour": ["X", "win", "env", "opts"],
    "quiver": ["X", "Y", "gridX", "gridY", "win", "env", "opts"],
    "stem": ["X", "Y", "win", "env", "opts"],
    "pie": ["X", "win", "env", "opts"],
    "mesh": ["X", "Y", "win", "env", "opts"],
}
# not in the stub: the parameters of Visdom's implementation (py/visdom/__init__.py)
IMPLEMENTATION = {
    "fork_env": ["prev_eid", "eid"],
    "set_window_data": ["data", "win", "env"],
    "dual_axis_lines": ["X", "Y1", "Y2", "opts", "win", "env"],
    "sunburst": ["labels", "parents", "values", "win", "env", "opts"],
    "graph": ["edges", "edgeLabels", "nodeLabels", "opts", "env", "win"],
    "embeddings": ["features", "labels", "data_getter", "data_type", "win", "env", "opts"],
    "properties": ["data", "win", "env", "opts"],
    "register_event_handler": ["handler", "target"],
    "clear_event_handlers": ["target"],
    "plotlyplot": ["figure", "win", "env"],
    "replay_log": ["log_filename"],
    "_send": ["msg", "endpoint", "quiet", "from_log", "create"],
}
# defaults that change behaviour (Visdom's implementation)
DEFAULTS = {
    ("__init__", "env"): "main",
    ("__init__", "port"): 8097,
    ("images", "nrow"): 8,
    ("images", "padding"): 2,
    ("text", "append"): False,
    ("line", "X"): None,
    ("scatter", "Y"): None,
}


def params(fn) -> list[inspect.Parameter]:
    return [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


@pytest.mark.parametrize("method", sorted(STUB))
def test_parameters_match_the_stub(method):
    names = [p.name for p in params(getattr(Visdom, method))]
    assert names[: len(STUB[method])] == STUB[method]
    extra = names[len(STUB[method]) :]
    # anything after the stub's parameters has a default (Visdom's newer ones: username, ...)
    assert all(
        p.default is not inspect.Parameter.empty for p in params(getattr(Visdom, method))[len(STUB[method]) :]
    ), extra
    # everything but the data arguments is optional, as in the stub
    required = [p.name for p in params(getattr(Visdom, method)) if p.default is inspect.Parameter.empty]
    assert set(required) <= {"envs", "env", "text", "plot", "img", "tensor", "win", "opts", "X", "Y"}, required


@pytest.mark.parametrize("method", sorted(IMPLEMENTATION))
def test_parameters_match_the_implementation(method):
    assert [p.name for p in params(getattr(Visdom, method))] == IMPLEMENTATION[method]


def test_defaults():
    for (method, name), value in DEFAULTS.items():
        p = inspect.signature(getattr(Visdom, method)).parameters[name]
        assert p.default == value, (method, name)


def test_legacy_update_trace():
    assert [p.name for p in params(Visdom.updateTrace)][:6] == ["X", "Y", "win", "env", "name", "append"]


def test_against_the_installed_visdom_when_there_is_one():
    visdom = pytest.importorskip("visdom")
    for method, names in {**STUB, **IMPLEMENTATION}.items():
        theirs = [p.name for p in params(getattr(visdom.Visdom, method))]
        assert theirs[: len(names)] == names, method
