"""Protocol-buffer wire format: just enough to write and read TensorBoard's messages.

We hand-encode instead of depending on ``protobuf`` (see docs/decisions.md): the messages are
few and fixed, hand encoding is several times faster on the logging hot path, and it keeps
cellboard out of the protobuf version conflicts TensorBoard users know well.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT, I64, LEN, I32 = 0, 1, 2, 5

_pack_d = struct.Struct("<d").pack
_pack_f = struct.Struct("<f").pack
_unpack_d = struct.Struct("<d").unpack_from
_unpack_f = struct.Struct("<f").unpack_from

_SMALL_VARINTS = [bytes([i]) for i in range(128)]
_U64 = (1 << 64) - 1


class WireError(ValueError):
    """Bytes that are not a valid protobuf message of the expected shape."""


def varint(value: int) -> bytes:
    """Encode an unsigned (or two's-complement int64) varint."""
    if 0 <= value < 128:
        return _SMALL_VARINTS[value]
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def key(field: int, wire_type: int) -> bytes:
    return varint((field << 3) | wire_type)


def f_varint(field: int, value: int) -> bytes:
    return key(field, VARINT) + varint(int(value))


def f_double(field: int, value: float) -> bytes:
    return key(field, I64) + _pack_d(value)


def f_float(field: int, value: float) -> bytes:
    return key(field, I32) + _pack_f(value)


def f_bytes(field: int, value: bytes) -> bytes:
    return key(field, LEN) + varint(len(value)) + value


def f_str(field: int, value: str) -> bytes:
    return f_bytes(field, value.encode("utf-8"))


def f_packed_doubles(field: int, values: object) -> bytes:
    """A packed ``repeated double`` from any float sequence or numpy array."""
    import numpy as np

    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return f_bytes(field, data)


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """``(value, next position)``; at most 10 bytes, truncated to 64 bits as protobuf does.

    The 64-bit cap matters: a 10th byte can carry bits up to 2**70, which would overflow every
    int64 array (and ``bytes(n)``) downstream.
    """
    result = 0
    shift = 0
    while True:
        try:
            b = buf[pos]
        except IndexError:
            raise WireError("truncated varint") from None
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _U64, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint too long")


def to_int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


FieldValue = int | memoryview
"""What ``iter_fields`` yields as a value: an ``int`` for VARINT, a memoryview for I64, I32 and LEN.

``isinstance(v, int)`` is the same test as ``wt == VARINT`` and narrows the type: decoders branch on
it first, and everything after that branch handles memoryviews.
"""


def iter_fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, FieldValue]]:
    """Yield ``(field, wire_type, value)``; LEN values are memoryview slices (no copy).

    Every length is checked against the bytes present before anything is sliced, so a LEN
    value is never longer than its buffer (``bytes(value)`` is bounded by the input); VARINT
    values are ``int`` - callers must check the wire type before ``bytes(value)``.
    """
    view = memoryview(buf)
    pos, end = 0, len(view)
    value: FieldValue
    while pos < end:
        tag, pos = read_varint(view, pos)
        field, wt = tag >> 3, tag & 7
        if field == 0:
            raise WireError("field number 0")
        if wt == VARINT:
            value, pos = read_varint(view, pos)
        elif wt == I64:
            if pos + 8 > end:
                raise WireError("truncated 64-bit field")
            value = view[pos : pos + 8]
            pos += 8
        elif wt == LEN:
            n, pos = read_varint(view, pos)
            if pos + n > end:
                raise WireError("truncated length-delimited field")
            value = view[pos : pos + n]
            pos += n
        elif wt == I32:
            if pos + 4 > end:
                raise WireError("truncated 32-bit field")
            value = view[pos : pos + 4]
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wt}")
        yield field, wt, value


def iter_len(buf: bytes | memoryview, field: int) -> Iterator[memoryview]:
    """The values of one length-delimited field (a ``repeated`` string/bytes/message), in order;
    the same field number with another wire type is skipped."""
    for f, wt, v in iter_fields(buf):
        if f == field and wt == LEN and not isinstance(v, int):
            yield v


def as_double(value: bytes | memoryview) -> float:
    return float(_unpack_d(value)[0])


def as_float(value: bytes | memoryview) -> float:
    return float(_unpack_f(value)[0])


def as_bytes(wt: int, value: FieldValue) -> bytes:
    """The bytes of a LEN field; ``WireError`` for any other wire type.

    Use this instead of ``bytes(value)`` on a field whose wire type was not checked: for a
    VARINT ``value`` is an ``int``, and ``bytes(2**40)`` allocates a terabyte of zeros.
    """
    if wt != LEN or isinstance(value, int):
        raise WireError(f"expected a length-delimited field, got wire type {wt}")
    return bytes(value)


def as_text(wt: int, value: FieldValue) -> str:
    """A LEN field as UTF-8 text (undecodable bytes replaced); ``WireError`` for other wire types."""
    return as_bytes(wt, value).decode("utf-8", "replace")
