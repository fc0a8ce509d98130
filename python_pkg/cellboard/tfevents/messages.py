"""Encoders and decoders for the TensorBoard messages cellboard writes and reads.

Field numbers follow tensorboard/compat/proto/*.proto (event, summary, histogram, tensor,
tensor_shape) and the plugin protos (scalar/image/histogram/text/pr_curve/hparams/custom_scalar).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .wire import (
    I32,
    I64,
    LEN,
    VARINT,
    FieldValue,
    WireError,
    as_double,
    as_float,
    f_bytes,
    f_double,
    f_float,
    f_packed_doubles,
    f_str,
    f_varint,
    iter_fields,
    iter_len,
    to_int64,
)

FILE_VERSION = "brain.Event:2"

# types.proto DataType
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING = 1, 2, 3, 4, 5, 6, 7
DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64 = 9, 10, 14, 17, 19, 22, 23
_NUMPY_DTYPES = {
    DT_FLOAT: "<f4",
    DT_DOUBLE: "<f8",
    DT_INT32: "<i4",
    DT_UINT8: "u1",
    DT_INT16: "<i2",
    DT_INT8: "i1",
    DT_INT64: "<i8",
    DT_BOOL: "?",
    DT_UINT16: "<u2",
    DT_HALF: "<f2",
    DT_UINT32: "<u4",
    DT_UINT64: "<u8",
}

# SummaryMetadata.DataClass
DATA_CLASS_UNKNOWN, DATA_CLASS_SCALAR, DATA_CLASS_TENSOR, DATA_CLASS_BLOB_SEQUENCE = 0, 1, 2, 3

# SessionLog.SessionStatus
SESSION_START = 1


# --------------------------------------------------------------------------- encoders


def event(
    wall_time: float,
    step: int = 0,
    *,
    file_version: str | None = None,
    summary: bytes | None = None,
    session_log: bytes | None = None,
) -> bytes:
    out = f_double(1, wall_time)
    if step:
        out += f_varint(2, step)
    if file_version is not None:
        out += f_str(3, file_version)
    if summary is not None:
        out += f_bytes(5, summary)
    if session_log is not None:
        out += f_bytes(7, session_log)
    return out


def session_log(status: int) -> bytes:
    return f_varint(1, status)


def summary(*values: bytes) -> bytes:
    return b"".join(f_bytes(1, v) for v in values)


def plugin_metadata(
    plugin_name: str,
    content: bytes = b"",
    data_class: int = DATA_CLASS_UNKNOWN,
    display_name: str = "",
    description: str = "",
) -> bytes:
    # no plugin_data at all for a plain legacy value's display name or description (tensorboardX's)
    out = (
        f_bytes(1, f_str(1, plugin_name) + (f_bytes(2, content) if content else b"")) if plugin_name or content else b""
    )
    if display_name:
        out += f_str(2, display_name)
    if description:
        out += f_str(3, description)
    if data_class:
        out += f_varint(4, data_class)
    return out


def value(
    tag: str,
    *,
    metadata: bytes | None = None,
    simple_value: float | None = None,
    image: bytes | None = None,
    histo: bytes | None = None,
    audio: bytes | None = None,
    tensor: bytes | None = None,
) -> bytes:
    out = f_str(1, tag)
    if simple_value is not None:
        out += f_float(2, simple_value)
    if image is not None:
        out += f_bytes(4, image)
    if histo is not None:
        out += f_bytes(5, histo)
    if audio is not None:
        out += f_bytes(6, audio)
    if tensor is not None:
        out += f_bytes(8, tensor)
    if metadata is not None:
        out += f_bytes(9, metadata)
    return out


def image(height: int, width: int, colorspace: int, encoded: bytes) -> bytes:
    return f_varint(1, height) + f_varint(2, width) + f_varint(3, colorspace) + f_bytes(4, encoded)


def audio(
    sample_rate: float, num_channels: int, length_frames: int, encoded: bytes, content_type: str = "audio/wav"
) -> bytes:
    return (
        f_float(1, sample_rate)
        + f_varint(2, num_channels)
        + f_varint(3, length_frames)
        + f_bytes(4, encoded)
        + f_str(5, content_type)
    )


def histogram(min: float, max: float, num: float, sum: float, sum_squares: float, bucket_limit, bucket) -> bytes:
    return (
        f_double(1, min)
        + f_double(2, max)
        + f_double(3, num)
        + f_double(4, sum)
        + f_double(5, sum_squares)
        + f_packed_doubles(6, bucket_limit)
        + f_packed_doubles(7, bucket)
    )


def tensor_shape(shape: tuple[int, ...]) -> bytes:
    return b"".join(f_bytes(2, f_varint(1, d)) for d in shape)


def tensor(
    dtype: int,
    shape: tuple[int, ...] = (),
    *,
    content: bytes | None = None,
    float_val: float | None = None,
    double_val: float | None = None,
    string_val: list[bytes] | None = None,
) -> bytes:
    out = f_varint(1, dtype)
    if shape:
        out += f_bytes(2, tensor_shape(shape))
    if content is not None:
        out += f_bytes(4, content)
    if float_val is not None:
        out += f_bytes(5, np.float32(float_val).tobytes())
    if double_val is not None:
        out += f_bytes(6, np.float64(double_val).tobytes())
    for s in string_val or ():
        out += f_bytes(8, s)
    return out


def array_tensor(arr: np.ndarray) -> bytes:
    """A numeric numpy array as a TensorProto using ``tensor_content``."""
    dtype = {
        np.dtype("float32"): DT_FLOAT,
        np.dtype("float64"): DT_DOUBLE,
        np.dtype("int32"): DT_INT32,
        np.dtype("int64"): DT_INT64,
    }.get(arr.dtype)
    if dtype is None:
        arr, dtype = arr.astype(np.float32), DT_FLOAT
    return tensor(dtype, arr.shape, content=np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())


# google.protobuf.Value / ListValue / Struct, as used by the hparams plugin.
def pb_value(v) -> bytes:
    if v is None:
        return f_varint(1, 0)
    if isinstance(v, bool):
        return f_varint(4, int(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        return f_double(2, float(v))
    if isinstance(v, str):
        return f_str(3, v)
    if isinstance(v, (list, tuple)):
        return f_bytes(6, b"".join(f_bytes(1, pb_value(x)) for x in v))
    raise TypeError(f"cannot encode {type(v).__name__} as google.protobuf.Value")


def map_entry(field_no: int, k: str, v_bytes: bytes) -> bytes:
    return f_bytes(field_no, f_str(1, k) + f_bytes(2, v_bytes))


# --------------------------------------------------------------------------- decoders


@dataclass(slots=True)
class Event:
    wall_time: float = 0.0
    step: int = 0
    file_version: str | None = None
    summary: memoryview | None = None
    session_status: int | None = None  # SessionLog.status, when the event carries one
    has_graph: bool = False
    graph_def: memoryview | None = None  # a serialized GraphDef (add_graph, add_onnx_graph)


def decode_event(buf: bytes | memoryview) -> Event:
    ev = Event()
    for f, wt, v in iter_fields(buf):
        if isinstance(v, int):  # VARINT
            if f == 2:
                ev.step = to_int64(v)
        elif f == 1 and wt == I64:
            ev.wall_time = as_double(v)
        elif f == 3 and wt == LEN:
            ev.file_version = bytes(v).decode("utf-8", "replace")
        elif f == 5 and wt == LEN:
            ev.summary = v
        elif f == 7 and wt == LEN:
            ev.session_status = 0
            for f2, _, v2 in iter_fields(v):
                if f2 == 1 and isinstance(v2, int):  # VARINT
                    ev.session_status = v2
        elif f in (4, 9) and wt == LEN:
            ev.has_graph = True
            if f == 4:
                ev.graph_def = v
    return ev


@dataclass(slots=True)
class Metadata:
    plugin_name: str = ""
    content: bytes = b""
    display_name: str = ""
    description: str = ""
    data_class: int = 0


def decode_metadata(buf: bytes | memoryview) -> Metadata:
    md = Metadata()
    for f, wt, v in iter_fields(buf):
        if isinstance(v, int):  # VARINT
            if f == 4:
                md.data_class = v
        elif f == 1 and wt == LEN:
            for f2, wt2, v2 in iter_fields(v):
                if isinstance(v2, int) or wt2 != LEN:
                    continue
                if f2 == 1:
                    md.plugin_name = bytes(v2).decode("utf-8", "replace")
                elif f2 == 2:
                    md.content = bytes(v2)
        elif f == 2 and wt == LEN:
            md.display_name = bytes(v).decode("utf-8", "replace")
        elif f == 3 and wt == LEN:
            md.description = bytes(v).decode("utf-8", "replace")
    return md


@dataclass(slots=True)
class Value:
    tag: str = ""
    metadata: memoryview | None = None
    kind: str = ""  # simple_value | image | histo | audio | tensor
    simple_value: float = 0.0
    payload: memoryview | None = None


_VALUE_KINDS = {4: "image", 5: "histo", 6: "audio", 8: "tensor"}


def decode_summary(buf: bytes | memoryview) -> list[Value]:
    out = []
    for v in iter_len(buf, 1):
        val = Value()
        for f2, wt2, v2 in iter_fields(v):
            if isinstance(v2, int):  # VARINT: no Summary.Value field is one
                continue
            if f2 == 1 and wt2 == LEN:
                val.tag = bytes(v2).decode("utf-8", "replace")
            elif f2 == 2 and wt2 == I32:
                val.kind, val.simple_value = "simple_value", as_float(v2)
            elif f2 in _VALUE_KINDS and wt2 == LEN:
                val.kind, val.payload = _VALUE_KINDS[f2], v2
            elif f2 == 9 and wt2 == LEN:
                # parsed here so that a record with malformed metadata is corrupt whatever the
                # reader already knows about its tag (else load and the follower could differ)
                decode_metadata(v2)
                val.metadata = v2
        out.append(val)
    return out


# A single ``*_val`` value fills a larger shape (TensorFlow's convention for constants) only up
# to this many elements: filling is the one place where output is not bounded by input bytes.
FILL_MAX = 1_000_000

_VARINT_VALS = frozenset((7, 10, 11, 13, 16, 17))  # int, int64, bool, half, uint32, uint64 _val
_VARINT_CHUNK = 1 << 16  # bytes of packed varints decoded per step: temporaries stay constant


@dataclass(slots=True)
class Tensor:
    dtype: int = 0
    shape: tuple[int, ...] = ()
    content: bytes | None = None
    # raw ``*_val`` fields as ``(field, wire type, value)``, decoded by ``numbers()`` only when
    # needed and only after their count is checked against the shape
    vals: list[tuple[int, int, FieldValue]] = field(default_factory=list)
    string_val: list[bytes] = field(default_factory=list)

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)

    def numbers(self) -> np.ndarray:
        """Numeric contents, reshaped; a single ``*_val`` value fills the shape as TF does.

        The declared shape must match the values present (``WireError`` otherwise), so the
        result is never larger than what the bytes imply - except the single-value fill,
        capped at ``FILL_MAX`` elements.
        """
        n = self.num_elements
        np_dtype = _NUMPY_DTYPES.get(self.dtype)
        if np_dtype is None:
            raise WireError(f"unsupported tensor dtype {self.dtype}")
        if self.content:  # TF reads tensor_content when it is not empty, else the *_val fields
            width = np.dtype(np_dtype).itemsize
            if len(self.content) != n * width:
                raise WireError(
                    f"tensor_content has {len(self.content)} bytes for shape {list(self.shape)} "
                    f"of {np.dtype(np_dtype).name}"
                )
            return np.frombuffer(self.content, dtype=np_dtype).reshape(self.shape)
        count = sum(_count_vals(f, wt, v) for f, wt, v in self.vals)
        if count == n:
            arr = (
                np.concatenate([_decode_vals(f, wt, v) for f, wt, v in self.vals])
                if self.vals
                else np.zeros(0, np_dtype)
            )
            return arr.reshape(self.shape)
        if count == 1 and n <= FILL_MAX:
            (arr,) = (a for a in (_decode_vals(f, wt, v) for f, wt, v in self.vals) if a.size)
            return np.full(self.shape, arr[0])
        if count == 1:
            raise WireError(f"one value would fill shape {list(self.shape)} ({n} elements; at most {FILL_MAX})")
        raise WireError(f"tensor has {count} values for shape {list(self.shape)}")

    def scalar(self) -> float:
        """The one number of a one-element tensor (any shape of 1s); ``WireError`` otherwise.

        Cheaper than ``numbers()`` for what must be a scalar: nothing is decoded before the
        element count is known to be 1.
        """
        if self.num_elements != 1:
            raise WireError(f"a scalar tensor has shape {list(self.shape)}, expected one element")
        return float(self.numbers().reshape(-1)[0])


def _count_vals(f: int, wt: int, v: FieldValue) -> int:
    """How many values a ``*_val`` field holds, without decoding them."""
    if isinstance(v, int) or wt in (I32, I64):
        return 1
    if f == 5:
        if len(v) % 4:
            raise WireError("packed float_val is not a multiple of 4 bytes")
        return len(v) // 4
    if f == 6:
        if len(v) % 8:
            raise WireError("packed double_val is not a multiple of 8 bytes")
        return len(v) // 8
    arr = np.frombuffer(v, np.uint8)
    if arr.size and arr[-1] >= 0x80:
        raise WireError("truncated packed varint")
    return int(np.count_nonzero(arr < 0x80))


def _decode_vals(f: int, wt: int, v: FieldValue) -> np.ndarray:
    if isinstance(v, int):  # VARINT: one value
        ints = np.array([to_int64(v)], np.int64)
    elif f == 5:
        return np.frombuffer(v, "<f4")
    elif f == 6:
        return np.frombuffer(v, "<f8")
    else:
        ints = _packed_varints(v)
    if f == 13:  # half_val: float16 bit patterns stored as int32 varints
        return ints.astype(np.uint16).view(np.float16)
    if f == 11:
        return ints != 0
    if f == 17:
        return ints.view(np.uint64)
    return ints


def _packed_varints(v: memoryview) -> np.ndarray:
    """Packed varints, vectorized (a Python int per value would cost ~40x the payload).

    The output is 8 bytes per value (at most 8x the payload); temporaries are per 64 KiB chunk.
    """
    arr = np.frombuffer(v, np.uint8)
    if arr.size and arr[-1] >= 0x80:
        raise WireError("truncated packed varint")
    out = np.empty(int(np.count_nonzero(arr < 0x80)), np.uint64)
    k = lo = 0
    while lo < arr.size:
        hi = min(arr.size, lo + _VARINT_CHUNK)
        ends = np.flatnonzero(arr[lo:hi] < 0x80)
        if ends.size == 0:
            raise WireError("varint too long")
        hi = lo + int(ends[-1]) + 1  # whole varints only
        starts = np.concatenate(([0], ends[:-1] + 1))
        width = ends - starts + 1
        if width.max() > 10:
            raise WireError("varint too long")
        chunk = np.zeros(ends.size, np.uint64)
        seg = arr[lo:hi]
        for j in range(int(width.max())):
            has = width > j
            chunk[has] |= (seg[starts[has] + j].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * j)
        out[k : k + chunk.size] = chunk
        k += chunk.size
        lo = hi
    return out.view(np.int64)


def decode_shape(buf: bytes | memoryview) -> tuple[int, ...]:
    """The dimensions of a ``TensorShapeProto`` (-1: unknown, as TensorFlow writes it)."""
    dims = []
    for dim in iter_len(buf, 2):
        size = 0
        for f, _, v in iter_fields(dim):
            if f == 1 and isinstance(v, int):  # VARINT
                size = to_int64(v)
        dims.append(size)
    return tuple(dims)


def numpy_dtype(dtype: int) -> str | None:
    """The numpy dtype (little-endian) of a numeric ``DataType``; None for the others (string, bfloat16...)."""
    return _NUMPY_DTYPES.get(dtype)


def decode_tensor(buf: bytes | memoryview) -> Tensor:
    t = Tensor()
    for f, wt, v in iter_fields(buf):
        if (
            (f == 5 and wt in (LEN, I32))
            or (f == 6 and wt in (LEN, I64))  # float_val, double_val
            or (f in _VARINT_VALS and wt in (LEN, VARINT))
        ):
            t.vals.append((f, wt, v))
        elif isinstance(v, int):  # VARINT
            if f == 1:
                t.dtype = v
        elif f == 2 and wt == LEN:
            t.shape = decode_shape(v)
            if any(size < 0 for size in t.shape):
                raise WireError(f"tensor shape {list(t.shape)} (a TensorProto's shape is fully defined)")
        elif f == 4 and wt == LEN:
            t.content = bytes(v)
        elif f == 8 and wt == LEN:
            t.string_val.append(bytes(v))
    return t
