"""Read an ONNX file's inputs, outputs, metadata and op types straight from its protobuf bytes.

Why: listing the styles, resolving a name and checking a user's file only need the graph's
signature and the ``huafeng.*`` metadata. Building an ONNX Runtime session for that (even with
graph optimisation off) costs 20-40 ms per model — with a library of twenty styles, about half a
second before the first pixel. ``onnx`` is a training-time dependency only, so this module reads
the few fields it needs from the protobuf wire format itself (https://protobuf.dev/programming-guides/encoding/),
skipping weight blobs by their length without copying them. Anything it cannot read raises
:class:`MalformedModel`; callers then fall back to ORT, whose error message a user gets.

Field numbers are those of ``onnx/onnx.proto`` (stable since IR version 3):
ModelProto 7 graph, 14 metadata_props {1 key, 2 value}; GraphProto 1 node {4 op_type},
5 initializer {8 name}, 11 input, 12 output; ValueInfoProto 1 name, 2 type {1 tensor_type
{1 elem_type, 2 shape {1 dim {1 dim_value, 2 dim_param}}}}.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: ONNX TensorProto.DataType → the type string ORT reports (``NodeArg.type``).
_ELEM_TYPES = {
    1: "float",
    2: "uint8",
    3: "int8",
    6: "int32",
    7: "int64",
    9: "bool",
    10: "float16",
    11: "double",
    16: "bfloat16",
}


class MalformedModel(ValueError):
    """The bytes are not an ONNX model this reader understands (truncated, not protobuf, ...)."""


@dataclass(frozen=True)
class TensorSig:
    """One graph input or output, shaped like ORT's ``NodeArg``: dims are ints or symbolic names."""

    name: str
    type: str  # "tensor(float)", ...
    shape: tuple[int | str | None, ...]


@dataclass(frozen=True)
class GraphSig:
    """What :func:`huafeng.infer.session.describe_io` checks: signature, metadata and op types."""

    inputs: tuple[TensorSig, ...]
    outputs: tuple[TensorSig, ...]
    metadata: dict[str, str]
    op_types: frozenset[str]


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise MalformedModel("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """(field number, value) pairs: ints for varints, views for length-delimited; others skipped."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise MalformedModel("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise MalformedModel("length past the end of the message")
            yield number, buf[pos : pos + size]
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > end:
                raise MalformedModel("truncated fixed-width field")
        else:  # groups (3, 4) are not used by onnx.proto; 6, 7 are invalid
            raise MalformedModel(f"unexpected wire type {wire}")


def _text(value: int | memoryview) -> str:
    if not isinstance(value, memoryview):
        raise MalformedModel("expected a string field")
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedModel("string field is not UTF-8") from None


def _msg(value: int | memoryview) -> memoryview:
    if not isinstance(value, memoryview):
        raise MalformedModel("expected a sub-message")
    return value


def _dims(shape: memoryview) -> tuple[int | str | None, ...]:
    dims: list[int | str | None] = []
    for number, dim in _fields(shape):
        if number != 1:
            continue
        value: int | str | None = None
        for n, v in _fields(_msg(dim)):
            if n == 1 and isinstance(v, int):
                value = v - (1 << 64) if v >= 1 << 63 else v
            elif n == 2:
                value = _text(v)
        dims.append(value)
    return tuple(dims)


def _value_info(buf: memoryview) -> TensorSig:
    name, type_str = "", "unknown"
    shape: tuple[int | str | None, ...] = ()
    for number, value in _fields(buf):
        if number == 1:
            name = _text(value)
        elif number == 2:
            for n, tensor in _fields(_msg(value)):
                if n != 1:  # sequence/map/optional types: leave "unknown", the contract check refuses
                    continue
                for m, v in _fields(_msg(tensor)):
                    if m == 1 and isinstance(v, int):
                        type_str = f"tensor({_ELEM_TYPES.get(v, str(v))})"
                    elif m == 2:
                        shape = _dims(_msg(v))
    return TensorSig(name, type_str, shape)


def _graph(buf: memoryview) -> tuple[list[TensorSig], list[TensorSig], set[str]]:
    inputs: list[TensorSig] = []
    outputs: list[TensorSig] = []
    initializers: set[str] = set()
    ops: set[str] = set()
    for number, value in _fields(buf):
        if number == 1:
            ops.update(_text(v) for n, v in _fields(_msg(value)) if n == 4)
        elif number == 5:
            initializers.update(_text(v) for n, v in _fields(_msg(value)) if n == 8)
        elif number == 11:
            inputs.append(_value_info(_msg(value)))
        elif number == 12:
            outputs.append(_value_info(_msg(value)))
    # IR < 4 lists initializers among the inputs; ORT does not report those as inputs either.
    return [i for i in inputs if i.name not in initializers], outputs, ops


def parse_model(data: bytes | memoryview | mmap.mmap) -> GraphSig:
    """The :class:`GraphSig` of serialized ModelProto bytes; :class:`MalformedModel` if unreadable."""
    buf = memoryview(data)  # type: ignore[arg-type]
    meta: dict[str, str] = {}
    graph = None
    for number, value in _fields(buf):
        if number == 7:
            graph = _graph(_msg(value))
        elif number == 14:
            entry = dict((n, _text(v)) for n, v in _fields(_msg(value)) if n in (1, 2))
            meta[entry.get(1, "")] = entry.get(2, "")
    if graph is None:
        raise MalformedModel("no graph")
    inputs, outputs, ops = graph
    return GraphSig(tuple(inputs), tuple(outputs), meta, frozenset(ops))


def read_model(path: Path) -> GraphSig:
    """:func:`parse_model` of a file, memory-mapped so the weights are never read into memory."""
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            view = memoryview(data)
            error = ""
            try:
                result = parse_model(view)
            except MalformedModel as e:  # keep only the message: its traceback holds views of the map
                error = str(e) or "unreadable"
            view.release()
    except (OSError, ValueError) as e:
        raise MalformedModel(str(e)) from None
    if error:
        raise MalformedModel(error)
    return result
