"""TensorFlow checkpoints (tensor bundles) read with numpy: the Projector's embeddings saved with
``tf.train.Checkpoint.save`` or ``tf.compat.v1.train.Saver`` (``kinds/embeddings.py``), without TensorFlow.

A checkpoint ``<prefix>`` is two kinds of file. ``<prefix>.index`` is an immutable sorted table (the
LevelDB table format): data blocks of prefix-compressed ``key, value`` entries, an index block pointing
at them, and a 48-byte footer pointing at the index block. Its keys are tensor names and its values
``BundleEntryProto`` messages saying where each tensor's bytes lie; the empty key holds the
``BundleHeaderProto`` (number of shards, byte order). ``<prefix>.data-<i:05d>-of-<n:05d>`` (the shards)
hold the tensors' raw bytes. Every block and every tensor carries a masked CRC32C, checked here.
A partitioned variable (TF1's partitioners; a variable a shard size cuts) is an entry listing its
slices, each slice's bytes stored under a key encoding the name and the slice (``_slice_key``);
``read_tensor`` puts them together.
All I/O goes through a cellboard ``fs`` (``fs.py``): local directories and fsspec URLs alike.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .tfevents import messages as M
from .tfevents.crc import masked_crc32c
from .tfevents.wire import I32, LEN, WireError, iter_fields, read_varint

_MAGIC = 0xDB4775248B80FB57  # the table footer's last 8 bytes (little-endian)
_FOOTER = 48  # two block handles (varints), zero padding to 40 bytes, the magic
_TRAILER = 5  # after each block: compression type (0: none), masked CRC32C of block + type byte
_u32 = struct.Struct("<I").unpack_from

DT_STRING, DT_BFLOAT16 = M.DT_STRING, M.DT_BFLOAT16
# types.proto DataType -> the name TensorFlow gives it (``tf.as_dtype(n).name``)
DTYPE_NAMES = {
    1: "float32",
    2: "float64",
    3: "int32",
    4: "uint8",
    5: "int16",
    6: "int8",
    7: "string",
    8: "complex64",
    9: "int64",
    10: "bool",
    14: "bfloat16",
    17: "uint16",
    18: "complex128",
    19: "float16",
    20: "resource",
    21: "variant",
    22: "uint32",
    23: "uint64",
}
_COMPLEX = {8: "<c8", 18: "<c16"}  # not among the event tensors' dtypes (messages.numpy_dtype)


class CheckpointError(ValueError):
    """A checkpoint file that is damaged, or holds something this reader does not read; ``path`` is the file."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True)
class Entry:
    """Where one tensor's bytes lie (a ``BundleEntryProto``)."""

    dtype: int
    shape: tuple[int, ...]
    shard: int = 0
    offset: int = 0
    size: int = 0
    crc: int | None = None  # masked CRC32C of the bytes
    # a partitioned variable: its slices, each ((start, length) per dimension; length -1: the whole
    # dimension), their bytes stored under other keys
    slices: tuple[Extents, ...] = ()

    @property
    def sliced(self) -> bool:
        return bool(self.slices)


Extents = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Bundle:
    """The index of a checkpoint: its tensors, and how many shards hold their bytes."""

    prefix: str
    num_shards: int
    big_endian: bool
    entries: dict[str, Entry]
    # the slices of partitioned variables: tensor name -> {the slice's extents: where its bytes lie}
    slice_entries: dict[str, dict[Extents, Entry]] = field(default_factory=dict)

    def data_path(self, shard: int) -> str:
        return f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}"


# --------------------------------------------------------------------------- the .index table


def _handle(buf: bytes | memoryview, pos: int) -> tuple[int, int, int]:
    """``(offset, size, next position)`` of a ``BlockHandle`` (two varints)."""
    offset, pos = read_varint(buf, pos)
    size, pos = read_varint(buf, pos)
    return offset, size, pos


def _block(data: bytes, offset: int, size: int, path: str) -> memoryview:
    """The contents of the block at ``offset`` (``size`` bytes, trailer not counted), its CRC checked."""
    end = offset + size
    if end + _TRAILER > len(data):
        raise CheckpointError(path, f"truncated: a block at byte {offset} ends past the end of the file")
    if masked_crc32c(data[offset : end + 1]) != _u32(data, end + 1)[0]:  # the CRC covers the type byte too
        raise CheckpointError(path, f"checksum mismatch in the block at byte {offset}: the file is damaged")
    if data[end] != 0:
        raise CheckpointError(
            path, f"compressed block (type {data[end]}); TensorFlow writes its checkpoint index uncompressed"
        )
    return memoryview(data)[offset:end]


def _block_entries(block: memoryview, path: str) -> Iterator[tuple[bytes, memoryview]]:
    """The ``(key, value)`` entries of a block: each key shares a prefix with the one before it.

    A block ends with the offsets of its restart points (where a key is stored whole, for binary
    search) and their count; reading every entry in order needs neither.
    """
    if len(block) < 4:
        raise CheckpointError(path, "a block too short for its restart count")
    limit = len(block) - 4 - 4 * _u32(block, len(block) - 4)[0]
    if limit < 0:
        raise CheckpointError(path, "a block's restart array is longer than the block")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = read_varint(block, pos)
        unshared, pos = read_varint(block, pos)
        value_len, pos = read_varint(block, pos)
        if shared > len(key) or pos + unshared + value_len > limit:
            raise CheckpointError(path, f"a corrupted entry at byte {pos} of a block")
        key = key[:shared] + bytes(block[pos : pos + unshared])
        pos += unshared
        yield key, block[pos : pos + value_len]
        pos += value_len


def _table(data: bytes, path: str) -> Iterator[tuple[bytes, memoryview]]:
    """Every ``(key, value)`` of a table, in key order."""
    if len(data) < _FOOTER or struct.unpack_from("<Q", data, len(data) - 8)[0] != _MAGIC:
        raise CheckpointError(path, f"not a checkpoint index ({len(data)} bytes, no table footer): truncated?")
    footer = memoryview(data)[len(data) - _FOOTER :]
    _, _, pos = _handle(footer, 0)  # the metaindex block (filters): nothing a reader needs
    index_offset, index_size, _ = _handle(footer, pos)
    for _, handle in _block_entries(_block(data, index_offset, index_size, path), path):
        offset, size, _ = _handle(handle, 0)
        yield from _block_entries(_block(data, offset, size, path), path)


def _extents(value: memoryview) -> Extents:
    """A ``TensorSliceProto``: ``extent = 1`` (``Extent{start = 1, length = 2}``, no length: all of it)."""
    out = []
    for f, wt, v in iter_fields(value):
        if f == 1 and wt == LEN and not isinstance(v, int):
            start, length = 0, -1
            for f2, _, v2 in iter_fields(v):
                if f2 == 1 and isinstance(v2, int):
                    start = v2
                elif f2 == 2 and isinstance(v2, int):
                    length = v2
            out.append((start, length))
    return tuple(out)


def _signed(key: bytes, pos: int) -> tuple[int, int]:
    """``(value, next position)`` of an int64 in TensorFlow's ``OrderedCode::WriteSignedNumIncreasing``
    form: its length is the number of leading 1 bits (leading 0 bits for a negative number, whose bytes
    are complemented), followed by a 0 bit (1 for a negative), then the value, big-endian."""
    if pos >= len(key):
        raise ValueError("ends inside a number")
    negative = key[pos] < 0x80
    head = key[pos : pos + 2].ljust(2, b"\0")
    bits = int.from_bytes(head, "big") ^ (0xFFFF if negative else 0)
    length = 16 - (~bits & 0xFFFF).bit_length()  # the leading 1 bits
    if not 1 <= length <= 10 or pos + length > len(key):
        raise ValueError("a number of a bad length")
    x = int.from_bytes(key[pos : pos + length], "big") ^ ((1 << 8 * length) - 1 if negative else 0)
    x &= (1 << (7 * length - 1)) - 1  # drop the length bits and the sign bit
    return (~x if negative else x), pos + length


def _slice_key(key: bytes) -> tuple[str, Extents]:
    """The tensor name and extents of a slice's key (TensorFlow's ``EncodeTensorNameSlice``, in
    ``OrderedCode``): a 0, the name (``\\0`` as ``\\0\\xff``, ``\\xff`` as ``\\xff\\0``, then
    ``\\0\\1``), the rank (a length byte and big-endian bytes), then start and length of each
    dimension (``_signed``)."""
    name, pos = bytearray(), 1
    while True:
        if pos + 1 >= len(key):
            raise ValueError("ends inside the name")
        b, nxt = key[pos], key[pos + 1]
        if b == 0 and nxt == 1:
            pos += 2
            break
        if b in (0, 0xFF):
            if nxt != (0xFF if b == 0 else 0):
                raise ValueError("a bad escape in the name")
            pos += 2
        else:
            pos += 1
        name.append(b)
    n = key[pos] if pos < len(key) else 9
    if n > 8 or pos + 1 + n > len(key):
        raise ValueError("a bad rank")
    rank, pos = int.from_bytes(key[pos + 1 : pos + 1 + n], "big"), pos + 1 + n
    extents = []
    for _ in range(rank):
        start, pos = _signed(key, pos)
        length, pos = _signed(key, pos)
        extents.append((start, length))
    if pos != len(key):
        raise ValueError("bytes after the last dimension")
    return name.decode("utf-8", "replace"), tuple(extents)


def _entry(value: memoryview) -> Entry:
    dtype, shard, offset, size, crc = 0, 0, 0, 0, None
    slices: list[Extents] = []
    shape: tuple[int, ...] = ()
    for f, wt, v in iter_fields(value):
        if isinstance(v, int):  # VARINT
            if f == 1:
                dtype = v
            elif f == 3:
                shard = v
            elif f == 4:
                offset = v
            elif f == 5:
                size = v
        elif f == 2 and wt == LEN:
            shape = M.decode_shape(v)
        elif f == 6 and wt == I32:  # fixed32
            crc = _u32(v)[0]
        elif f == 7 and wt == LEN:
            slices.append(_extents(v))
    return Entry(dtype, shape, shard, offset, size, crc, tuple(slices))


def read_index(fs, prefix: str) -> Bundle:
    """The tensors a checkpoint holds, from ``<prefix>.index``: ``CheckpointError`` when it is damaged,
    ``OSError`` (``FileNotFoundError``...) when it cannot be read."""
    path = prefix + ".index"
    data = fs.cat(path)
    num_shards, big_endian, entries = 1, False, {}
    slice_entries: dict[str, dict[Extents, Entry]] = {}
    try:
        for key, value in _table(data, path):
            if key == b"":  # BundleHeaderProto
                for f, _, v in iter_fields(value):
                    if f == 1 and isinstance(v, int):
                        num_shards = v
                    elif f == 2 and isinstance(v, int):
                        big_endian = v == 1  # Endianness: LITTLE = 0, BIG = 1
            elif key.startswith(b"\x00"):  # a slice of a partitioned variable
                try:
                    name, extents = _slice_key(key)
                except ValueError as exc:
                    raise CheckpointError(path, f"a slice's key {key!r} does not decode: {exc}") from None
                slice_entries.setdefault(name, {})[extents] = _entry(value)
            else:
                entries[key.decode("utf-8", "replace")] = _entry(value)
    except WireError as exc:
        raise CheckpointError(path, f"a corrupted entry ({exc})") from None
    return Bundle(prefix, max(1, num_shards), big_endian, entries, slice_entries)


def list_tensors(fs, prefix: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """``{tensor name: (dtype name, shape)}`` of a checkpoint, as ``tf.train.load_checkpoint(prefix)``'s
    ``get_variable_to_dtype_map``/``get_variable_to_shape_map`` say (``"float32"``, ``"string"``...)."""
    return {
        name: (DTYPE_NAMES.get(e.dtype, f"DataType {e.dtype}"), e.shape)
        for name, e in read_index(fs, prefix).entries.items()
    }


# --------------------------------------------------------------------------- the tensors


def read_tensor(fs, prefix: str, name: str, bundle: Bundle | None = None) -> np.ndarray:
    """One tensor of a checkpoint as a numpy array of its dtype (bfloat16 as float32: numpy has none).

    ``CheckpointError`` (a ``ValueError`` naming the file) for a damaged file, a tensor that is not
    there, a string tensor, a partitioned variable missing a slice; ``OSError`` when a file cannot be read.
    ``bundle``: the index already read (``read_index``), for several tensors of one checkpoint.
    """
    if bundle is None:
        bundle = read_index(fs, prefix)
    index = prefix + ".index"
    e = bundle.entries.get(name)
    if e is None:
        names = sorted(bundle.entries)
        shown = ", ".join(repr(n) for n in names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise CheckpointError(index, f"no tensor {name!r} in this checkpoint (it holds {shown or 'none'})")
    what = f"tensor {name!r}"
    if e.sliced:
        return _read_sliced(fs, bundle, name, e)
    return _read_entry(fs, bundle, e, what)


def _dtype(bundle: Bundle, e: Entry, what: str) -> np.dtype:
    """The dtype ``e``'s bytes are stored in (bfloat16: ``<u2``, the upper half of a float32)."""
    index = bundle.prefix + ".index"
    if e.dtype == DT_STRING:
        raise CheckpointError(index, f"{what} is a string tensor; only numeric tensors are read")
    stored = "<u2" if e.dtype == DT_BFLOAT16 else M.numpy_dtype(e.dtype) or _COMPLEX.get(e.dtype)
    if stored is None:
        kind = DTYPE_NAMES.get(e.dtype, f"DataType {e.dtype}")
        raise CheckpointError(index, f"{what} has dtype {kind}; only numeric tensors are read")
    dtype = np.dtype(stored)
    return dtype.newbyteorder(">") if bundle.big_endian else dtype


def _read_entry(fs, bundle: Bundle, e: Entry, what: str) -> np.ndarray:
    """The bytes of one entry (a whole tensor, or one slice of one) as an array of its shape."""
    index = bundle.prefix + ".index"
    dtype = _dtype(bundle, e, what)
    if min(e.shape, default=0) < 0 or math.prod(e.shape) * dtype.itemsize != e.size:
        raise CheckpointError(index, f"{what}: {e.size} bytes for shape {list(e.shape)} of {dtype.name}")
    if e.shard >= bundle.num_shards:
        raise CheckpointError(index, f"{what} is in shard {e.shard} of {bundle.num_shards}")
    path = bundle.data_path(e.shard)
    raw = fs.read(path, e.offset, e.offset + e.size)
    if len(raw) != e.size:
        raise CheckpointError(
            path, f"truncated: {what} needs bytes {e.offset}..{e.offset + e.size}, the file ends first"
        )
    if e.crc is not None and masked_crc32c(raw) != e.crc:
        raise CheckpointError(
            path, f"checksum mismatch in {what} (bytes {e.offset}..{e.offset + e.size}): the file is damaged"
        )
    flat = np.frombuffer(raw, dtype)
    if e.dtype == DT_BFLOAT16:  # the upper half of a float32
        return (flat.astype(np.uint32) << np.uint32(16)).view(np.float32).reshape(e.shape)
    return flat.astype(dtype.newbyteorder("=")).reshape(e.shape)  # a copy: writable, native byte order


def _read_sliced(fs, bundle: Bundle, name: str, e: Entry) -> np.ndarray:
    """A partitioned variable put together from its slices, as ``tf.train.load_checkpoint`` reads it:
    each slice the entry lists must be there, of its shape, and together they must cover the tensor."""
    index = bundle.prefix + ".index"
    stored = bundle.slice_entries.get(name, {})
    out: np.ndarray | None = None
    covered = 0
    for extents in e.slices:
        what = f"slice {list(extents)} of tensor {name!r}"
        if len(extents) != len(e.shape):
            raise CheckpointError(index, f"{what} has {len(extents)} dimensions; the tensor has {len(e.shape)}")
        part = stored.get(extents)
        if part is None:
            raise CheckpointError(index, f"{what} is listed but not stored")
        where = tuple(slice(s, None if n < 0 else s + n) for s, n in extents)
        want = tuple(d if n < 0 else n for d, (_, n) in zip(e.shape, extents, strict=True))
        if part.shape != want or any(
            s < 0 or (n >= 0 and s + n > d) for d, (s, n) in zip(e.shape, extents, strict=True)
        ):
            raise CheckpointError(index, f"{what} holds shape {list(part.shape)}, outside the tensor's {list(e.shape)}")
        values = _read_entry(fs, bundle, part, what)
        if out is None:
            out = np.empty(e.shape, values.dtype)
        out[where] = values
        covered += values.size
    if out is None or covered != math.prod(e.shape):
        raise CheckpointError(index, f"tensor {name!r}: its slices hold {covered} of its {math.prod(e.shape)} values")
    return out
