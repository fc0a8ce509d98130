"""Vectorized decoding of scalar events, the bulk of every log directory.

A writer emits scalar events that differ only in wall time, step and value bytes: same tag,
same field order, same lengths. So records of equal length are gathered into a byte matrix;
one record of a group is decoded the slow way to learn its *layout* (where wall time, step
varint and value live); every row whose other bytes match that template byte for byte is
decoded with numpy column operations. Rows that match no scalar template are left to the
record-by-record decoder. Nothing is assumed about the writer: a layout is only trusted for
rows that reproduce every one of its constant bytes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import kernels
from .tfevents import messages as M
from .tfevents.wire import I32, I64, LEN, VARINT, WireError, read_varint

Described = tuple[str, str] | None  # a SummaryMetadata's (display_name, description), None if both are empty
MAX_RECORD = 1024  # scalar events are small; longer records go to the slow path
MAX_TEMPLATES_PER_LENGTH = 64  # bounds the work on pathological logs (thousands of tags)


@dataclass
class Layout:
    tag: str
    wall: int | None  # offset of the float64 wall time
    step: tuple[int, int] | None  # (offset, byte length) of the step varint
    value: int  # offset of the value bytes
    dtype: str  # "<f4" or "<f8"
    simple: bool  # a legacy ``simple_value`` (always a scalar, whatever the tag's plugin)
    plugin: str | None  # "scalars" when the record carries metadata naming the plugin
    described: Described = None  # the metadata's (display_name, description), when it gives either


@dataclass
class Decoded:
    handled: np.ndarray  # bool per record
    rec: np.ndarray
    tag: np.ndarray
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray


def _fields(buf: bytes, start: int, end: int):
    """``(field, wire_type, value_start, value_end, int_value)`` with absolute offsets.

    Every field is checked to lie within ``[start, end)`` *before* it is yielded: a caller may
    stop early and still never see an offset outside the record.
    """
    pos = start
    while pos < end:
        tag, pos = read_varint(buf, pos)
        f, wt = tag >> 3, tag & 7
        if f == 0:
            raise WireError("field number 0")
        if wt == VARINT:
            s = pos
            v, pos = read_varint(buf, pos)
            if pos > end:
                raise WireError("truncated")
            yield f, wt, s, pos, v
            continue
        if wt == I64:
            s, pos = pos, pos + 8
        elif wt == I32:
            s, pos = pos, pos + 4
        elif wt == LEN:
            n, s = read_varint(buf, pos)
            pos = s + n
        else:
            raise WireError("unsupported wire type")
        if pos > end:
            raise WireError("truncated")
        yield f, wt, s, pos, 0


def locate(rec: bytes) -> Layout | None:
    """The layout of a one-value scalar event, or None if ``rec`` is anything else."""
    try:
        wall = step = summary = None
        for f, wt, s, e, _ in _fields(rec, 0, len(rec)):
            if f == 1 and wt == I64:
                wall = s
            elif f == 2 and wt == VARINT:
                step = (s, e - s)
            elif f == 5 and wt == LEN and summary is None:
                summary = (s, e)
            else:
                return None
        if summary is None:
            return None
        values = list(_fields(rec, *summary))
        if len(values) != 1 or values[0][0] != 1 or values[0][1] != LEN:
            return None
        tag = None
        value = dtype = tensor = plugin = described = None
        for f, wt, s, e, _ in _fields(rec, values[0][2], values[0][3]):
            if f == 1 and wt == LEN:
                tag = rec[s:e].decode("utf-8")
            elif f == 2 and wt == I32:
                value, dtype = s, "<f4"
            elif f == 8 and wt == LEN:
                tensor = (s, e)
            elif f == 9 and wt == LEN:
                md = M.decode_metadata(rec[s:e])
                plugin, described = md.plugin_name, _described(md)
            else:
                return None
        if tag is None:
            return None
        if tensor is not None:
            if value is not None:
                return None
            value, dtype = _locate_tensor_value(rec, *tensor)
            if value is None:
                return None
        if value is None or dtype is None:
            return None
        return Layout(tag, wall, step, value, dtype, tensor is None, plugin, described)
    except Exception:  # noqa: BLE001 - whatever cannot be parsed here is left to the slow path, which reports it
        return None


def _locate_tensor_value(rec: bytes, start: int, end: int):
    dtype = None
    value = None
    for f, wt, s, e, v in _fields(rec, start, end):
        if f == 1 and wt == VARINT:
            dtype = v
        elif f == 2 and wt == LEN:
            for f2, wt2, s2, e2, _ in _fields(rec, s, e):  # every dim must say size 1
                if f2 != 2 or wt2 != LEN:
                    return None, None
                size = 0  # proto3 default: a dim without a size has size 0
                for f3, wt3, _, _, v3 in _fields(rec, s2, e2):
                    if f3 == 1:
                        if wt3 != VARINT:
                            return None, None
                        size = v3
                if size != 1:
                    return None, None
        elif value is None and (
            (f == 5 and wt in (LEN, I32) and e - s == 4)
            or (f == 6 and wt in (LEN, I64) and e - s == 8)
            or (f == 4 and wt == LEN and e - s in (4, 8))
        ):
            value = (s, e - s)
        else:
            return None, None
    if value is None or dtype not in (M.DT_FLOAT, M.DT_DOUBLE):
        return None, None
    width = 4 if dtype == M.DT_FLOAT else 8
    if value[1] != width:
        return None, None
    return value[0], "<f4" if width == 4 else "<f8"


def _varint_column(block: np.ndarray) -> np.ndarray:
    out = np.zeros(block.shape[0], np.uint64)
    for j in range(block.shape[1]):
        out |= (block[:, j].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * j)
    return out.view(np.int64)


@dataclass
class _Match:
    """The rows of one template: what they decode to, before the tag's plugin is settled."""

    idx: np.ndarray  # record indices (ascending)
    tag: str
    plugin: str | None  # the plugin the rows' own metadata names
    described: Described
    simple: bool
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.step, self.wall, self.value


def _empty(handled: np.ndarray) -> Decoded:
    return Decoded(handled, *(np.zeros(0, t) for t in (np.int64, np.int64, np.int64, np.float64, np.float64)))


_GROUP_MIN = 64  # length groups with at least this many records are split by template in one pass


def _variable(layout: Layout, length: int) -> np.ndarray:
    """Bool mask of the bytes that differ between records of one template (value, wall, step)."""
    width = 4 if layout.dtype == "<f4" else 8
    variable = np.zeros(length, bool)
    variable[layout.value : layout.value + width] = True
    if layout.wall is not None:
        variable[layout.wall : layout.wall + 8] = True
    if layout.step is not None:
        variable[layout.step[0] : layout.step[0] + layout.step[1]] = True
    return variable


def _constant(layout: Layout, length: int) -> np.ndarray:
    return np.flatnonzero(~_variable(layout, length))


def _step_ok(sub: np.ndarray, layout: Layout) -> np.ndarray:
    """The step bytes must be one varint of exactly the template's length (continuation bits on
    all but the last), or the slow path would parse these bytes differently."""
    if layout.step is None:
        return np.ones(sub.shape[0], bool)
    s, k = layout.step
    block = sub[:, s : s + k]
    ok = block[:, -1] < 0x80
    for j in range(k - 1):  # column by column: a reduction along a short row is slow in numpy
        ok &= block[:, j] >= 0x80
    return ok


def _take(hit: np.ndarray, idx: np.ndarray, layout: Layout) -> _Match:
    """Decode the rows ``hit`` (record indices ``idx``) of one template."""
    width = 4 if layout.dtype == "<f4" else 8
    value = np.ascontiguousarray(hit[:, layout.value : layout.value + width]).view(layout.dtype).ravel()
    wall = (
        np.ascontiguousarray(hit[:, layout.wall : layout.wall + 8]).view("<f8").ravel()
        if layout.wall is not None
        else np.zeros(idx.size)
    )
    step = (
        _varint_column(hit[:, layout.step[0] : layout.step[0] + layout.step[1]])
        if layout.step is not None
        else np.zeros(idx.size, np.int64)
    )
    return _Match(idx, layout.tag, layout.plugin, layout.described, layout.simple, step, wall, value.astype(np.float64))


def _grouped(mat: np.ndarray, rows: np.ndarray, rem: np.ndarray, matches: list[_Match]) -> np.ndarray:
    """Split the records of one length by template in one pass; return the rows left over.

    Records of one length usually share where their variable bytes are (one writer, tags of
    one length): with the first record's layout, every row's *other* bytes are hashed and rows
    grouped by hash. A group is decoded with its first row's layout when that layout has its
    fields where the first record has them and every row's constant bytes equal the first
    row's (verified, not assumed from the hash); whatever does not fit is left to the
    template-by-template loop. This is what that loop decides, in one pass instead of one pass
    per tag: each field is decoded once for every row, and a group takes its rows' entries.
    """
    length = mat.shape[1]
    layout0 = locate(mat[0].tobytes())
    if layout0 is None:
        return rem
    variable = _variable(layout0, length)
    n = mat.shape[0]
    width = -(-length // 8) * 8
    masked = np.zeros((n, width), np.uint8)
    masked[:, :length] = mat
    words = masked.view("<u8")
    words &= _word_masks(variable)  # the variable bytes zeroed: each row's constant bytes
    h = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words.shape[1]):
            h ^= words[:, j]
            h *= np.uint64(0x100000001B3)
    order, bounds = _stable_order(h)
    # every row's constant bytes must equal those of its group's first row (verified, not assumed
    # from the hash): all rows at once, a column of words at a time
    first = np.empty(n, np.intp)
    for lo, hi in itertools.pairwise(bounds.tolist()):  # a slice per group: np.repeat holds the GIL longer
        first[order[lo:hi]] = order[lo]
    same = np.ones(n, bool)
    for j in range(words.shape[1]):
        col = words[:, j]
        same &= col == col[first]
    done = np.zeros(n, bool)
    where0 = _positions(layout0)
    # each field of every row as layout0 reads it, gathered once in group order: a group's rows
    # are then one slice of each column (a gather per group and column cost ~10% of a read)
    fields: tuple[np.ndarray, ...] | None = None
    for lo, hi in _by_first_row(order, bounds):
        rep = int(order[lo])
        layout = layout0 if rep == 0 else locate(mat[rep].tobytes())
        if layout is None or _positions(layout) != where0:
            continue
        if fields is None:
            every = _take(mat, rows, layout0)
            fields = tuple(c[order] for c in (same & _step_ok(mat, layout0), every.idx, *every.columns()))
        ok, *columns = (c[lo:hi] for c in fields)
        members = order[lo:hi]
        if not ok.all():
            members, columns = members[ok], [c[ok] for c in columns]
        if members.size == 0:
            continue
        done[members] = True
        matches.append(_Match(columns[0], layout.tag, layout.plugin, layout.described, layout.simple, *columns[1:]))
    return rem[~done]


def _stable_order(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ordered by hash, file order within equal hashes, and where each hash's run starts
    (with ``len(h)`` at the end)."""
    order = np.argsort(h, kind="stable")
    hs = h[order]
    return order, np.r_[0, np.flatnonzero(hs[1:] != hs[:-1]) + 1, h.size]


def _by_first_row(order: np.ndarray, bounds: np.ndarray) -> list[tuple[int, int]]:
    """``_stable_order``'s groups as ``(lo, hi)`` slices of ``order``, in the order of their first
    rows (templates in file order, as the template-by-template loop takes them)."""
    spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    spans.sort(key=lambda span: int(order[span[0]]))
    return spans


def _stable_groups(h: np.ndarray) -> list[np.ndarray]:
    """The rows of equal hash ``h``, in file order within a group, the groups in the order of
    their first rows."""
    order, bounds = _stable_order(h)
    return [order[lo:hi] for lo, hi in _by_first_row(order, bounds)]


def _positions(layout: Layout) -> tuple:
    """Where a template's varying fields are: templates with the same positions decode a row alike."""
    return (layout.value, layout.dtype, layout.wall, layout.step)


def _word_masks(variable: np.ndarray) -> np.ndarray:
    """Per 8-byte word of a record, the little-endian mask of its constant bytes (for ``kernels``)."""
    width = -(-variable.size // 8) * 8
    keep = np.zeros(width, np.uint8)
    keep[: variable.size] = np.where(variable, 0, 0xFF)
    return keep.view("<u8").copy()


def _grouped_compiled(
    k: kernels.Kernels, buf: np.ndarray, at: np.ndarray, rows: np.ndarray, length: int, matches: list[_Match]
) -> np.ndarray:
    """``_grouped`` with numba's kernels, straight from the file bytes at ``at`` (no byte matrix):
    the same groups, the same checks, the same matches; returns the positions left over.

    Groups and their templates are decided here as in ``_grouped``; the kernel then verifies and
    extracts every record of every accepted group in one pass in file order (not one strided
    pass per template), writing each group's records next to each other."""
    n = len(rows)
    layout0 = locate(buf[at[0] : at[0] + length].tobytes())
    if layout0 is None:
        return np.arange(n)
    variable = _variable(layout0, length)
    masks = _word_masks(variable)
    h = k.hash_constant_bytes(buf, at, length, masks)
    # _stable_groups' groups in two passes, or by its sort when there are many groups
    order, starts = np.empty(n, np.int64), np.empty(n + 1, np.int64)
    count = k.group_by_hash(h, order, starts)
    groups = np.split(order, starts[1:count]) if count >= 0 else _stable_groups(h)
    taken: list[tuple[np.ndarray, Layout]] = []
    where0 = _positions(layout0)
    for members in groups:
        rep = int(members[0])
        layout = layout0 if rep == 0 else locate(buf[at[rep] : at[rep] + length].tobytes())
        if layout is not None and _positions(layout) == where0:
            taken.append((members, layout))
    if not taken:
        return np.arange(n)
    sizes = np.array([m.size for m, _ in taken])
    ordered = np.concatenate([m for m, _ in taken])
    row_group = np.full(n, -1, np.int32)
    row_group[ordered] = np.repeat(np.arange(len(taken), dtype=np.int32), sizes)
    row_pos = np.zeros(n, np.int64)
    row_pos[ordered] = np.arange(ordered.size)
    width = -(-length // 8) * 8
    refs = np.zeros((len(taken), width), np.uint8)
    for g, (members, _) in enumerate(taken):
        p = int(at[members[0]])
        refs[g, :length] = buf[p : p + length]
    refs = refs.view("<u8") & masks
    steps_at = np.array([lay.step[0] if lay.step else 0 for _, lay in taken], np.int64)
    steps_len = np.array([lay.step[1] if lay.step else 0 for _, lay in taken], np.int64)
    widths = np.array([4 if lay.dtype == "<f4" else 8 for _, lay in taken], np.int64)
    values_at = np.array([lay.value for _, lay in taken], np.int64)
    walls_at = np.array([lay.wall if lay.wall is not None else -1 for _, lay in taken], np.int64)
    ok = np.zeros(ordered.size, bool)
    value_bytes = np.zeros((ordered.size, 8), np.uint8)
    wall_bytes = np.zeros((ordered.size, 8), np.uint8)  # no wall time: 0.0, as _take gives
    steps = np.zeros(ordered.size, np.uint64)
    k.match_and_take(
        buf, at, row_group, row_pos, length, masks, refs, steps_at, steps_len, values_at, widths, walls_at,
        ok, value_bytes, wall_bytes, steps,
    )  # fmt: skip
    done = np.zeros(n, bool)
    for (members, layout), lo, hi in zip(taken, np.r_[0, np.cumsum(sizes)[:-1]], np.cumsum(sizes)):
        good = ok[lo:hi]
        if not good.any():
            continue
        sel = slice(lo, hi) if good.all() else np.flatnonzero(good) + lo
        mine = members if good.all() else members[good]
        done[mine] = True
        w = 4 if layout.dtype == "<f4" else 8
        value = np.ascontiguousarray(value_bytes[sel, :w]).view(layout.dtype).ravel().astype(np.float64)
        wall = wall_bytes[sel].view("<f8").ravel()
        step = steps[sel].view(np.int64)
        matches.append(
            _Match(rows[mine], layout.tag, layout.plugin, layout.described, layout.simple, step, wall, value)
        )
    return np.flatnonzero(~done)


def decode(
    data: bytes,
    starts: np.ndarray,
    lengths: np.ndarray,
    plugins: dict[str, str],
    tag_id: Callable[[str], int],
    described: dict[str, tuple[str, str]] | None = None,
) -> Decoded:
    """Decode the scalar records among ``starts``/``lengths``; ``plugins`` (tag -> plugin name,
    first metadata wins) is read and extended exactly as the record-by-record path would, in
    file order, so reading a file in one chunk or many gives the same result. ``described``
    gains the ``(display_name, description)`` of each tag learned here whose metadata gives one."""
    n = len(starts)
    handled = np.zeros(n, bool)
    buf = np.frombuffer(data, np.uint8)
    small = np.flatnonzero(lengths <= MAX_RECORD)
    if small.size == 0:
        return _empty(handled)
    matches: list[_Match] = []
    by_length = small[np.argsort(lengths[small], kind="stable")]
    bounds = np.flatnonzero(np.diff(lengths[by_length])) + 1
    compiled = kernels.peek()
    for rows in np.split(by_length, bounds):
        rows = np.sort(rows)  # file order within a group: templates come from the earliest rows
        length = int(lengths[rows[0]])
        at = np.ascontiguousarray(starts[rows], np.int64)
        rem = np.arange(len(rows))
        mat: np.ndarray | None = None
        if len(rows) >= _GROUP_MIN:
            if compiled is not None:
                rem = _grouped_compiled(compiled, buf, at, rows, length, matches)
            else:
                mat = sliding_window_view(buf, length)[at]
                rem = _grouped(mat, rows, rem, matches)
        if not rem.size:
            continue
        if mat is None:
            mat = sliding_window_view(buf, length)[at]
        templates = 0
        while rem.size and templates < MAX_TEMPLATES_PER_LENGTH:
            templates += 1
            first = rem[0]
            layout = locate(mat[first].tobytes())
            if layout is None:
                rem = rem[1:]
                continue
            sub = mat[rem]
            match = (sub[:, _constant(layout, length)] == mat[first, _constant(layout, length)]).all(axis=1)
            match &= _step_ok(sub, layout)
            matches.append(_take(sub[match], rows[rem[match]], layout))
            rem = rem[~match]
    keep = _settle_plugins(data, starts, lengths, matches, plugins, described)
    out = [m for m, k in zip(matches, keep) if k]
    if not out:
        return _empty(handled)
    for m in out:
        handled[m.idx] = True
    return Decoded(
        handled,
        np.concatenate([m.idx for m in out]),
        np.concatenate([np.full(m.idx.size, tag_id(m.tag), np.int64) for m in out]),
        np.concatenate([m.step for m in out]),
        np.concatenate([m.wall for m in out]),
        np.concatenate([m.value for m in out]),
    )


_NEVER = (1 << 62, 0)


def _settle_plugins(
    data: bytes,
    starts: np.ndarray,
    lengths: np.ndarray,
    matches: list[_Match],
    plugins: dict[str, str],
    described: dict[str, tuple[str, str]] | None = None,
) -> list[bool]:
    """Which matches are scalars, learning plugins in file order as the slow path does.

    A tensor value is a scalar only if its tag's plugin *as of that record* is ``scalars``: the
    first metadata for the tag in file order, in this chunk or an earlier one. Learning a plugin
    from a later record of the chunk would make one whole read and a follower's chunked reads
    differ on odd files. The records the fast path did not take are parsed (not decoded) to see
    their metadata. In the one case the fast path cannot mirror - a tag's plugin-dependent record
    without metadata before its first metadata - all of that tag's rows go to the slow path,
    which learns in order.
    """
    new_tags = {m.tag for m in matches if m.tag not in plugins}
    first_meta: dict[str, tuple[tuple[int, int], str, Described]] = {}
    early: dict[str, tuple[int, int]] = {}  # first plugin-dependent record without metadata
    if new_tags:
        taken = np.zeros(len(starts), bool)
        for m in matches:
            taken[m.idx] = True
            if m.tag in new_tags:
                at = (int(m.idx[0]), 0)
                if m.plugin is not None and at < first_meta.get(m.tag, (_NEVER,))[0]:
                    first_meta[m.tag] = (at, m.plugin, m.described)
                elif not m.simple:
                    early[m.tag] = min(early.get(m.tag, _NEVER), at)
        view = memoryview(data)
        for i in np.flatnonzero(~taken).tolist():
            s = int(starts[i])
            try:
                ev = M.decode_event(view[s : s + int(lengths[i])])
                values = M.decode_summary(ev.summary) if ev.summary is not None else []
            except Exception:  # noqa: BLE001 - a corrupt record teaches the slow path nothing either
                continue
            for j, val in enumerate(values):
                if val.tag not in new_tags:
                    continue
                if val.metadata is not None:
                    try:
                        md = M.decode_metadata(val.metadata)
                    except Exception:  # noqa: BLE001 - as above
                        continue
                    if (i, j) < first_meta.get(val.tag, (_NEVER,))[0]:
                        first_meta[val.tag] = ((i, j), md.plugin_name, _described(md))
                elif val.kind in ("tensor", ""):
                    early[val.tag] = min(early.get(val.tag, _NEVER), (i, j))
    deferred = set()
    for tag in new_tags:
        meta_at, name, about = first_meta.get(tag, (_NEVER, "", None))
        if early.get(tag, _NEVER) < meta_at:
            deferred.add(tag)
        elif meta_at != _NEVER:
            plugins[tag] = name
            if about is not None and described is not None:
                described[tag] = about
    return [m.tag not in deferred and (m.simple or plugins.get(m.tag) == "scalars") for m in matches]


def _described(md: M.Metadata) -> Described:
    """``(display_name, description)`` of a tag's metadata; None when both are empty (the usual case)."""
    return (md.display_name, md.description) if md.display_name or md.description else None
