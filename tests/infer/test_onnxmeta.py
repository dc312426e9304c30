"""The protobuf wire reader agrees with ONNX Runtime on every model it is given, and fails safely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from huafeng.infer.onnxmeta import MalformedModel, parse_model, read_model
from huafeng.infer.session import GLOBAL_OPS, describe_model, inspect_model

from .conftest import Models

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "huafeng" / "assets" / "styles").glob("*.onnx"))


def _ort_view(path: Path) -> tuple[list[tuple[str, str, list[object]]], ...]:
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    io = ([(a.name, a.type, list(a.shape)) for a in args] for args in (s.get_inputs(), s.get_outputs()))
    return tuple(io)


def _wire_view(path: Path) -> tuple[list[tuple[str, str, list[object]]], ...]:
    sig = read_model(path)
    return tuple([(a.name, a.type, list(a.shape)) for a in args] for args in (sig.inputs, sig.outputs))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_models_read_as_ort_reads_them(path: Path) -> None:
    assert _wire_view(path) == _ort_view(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert read_model(path).metadata == dict(sess.get_modelmeta().custom_metadata_map)
    assert inspect_model(path) == describe_model(sess, path)  # same contract check, same answer


def test_test_models_and_op_types(models: Models) -> None:
    for path in (models.conv, models.multi, models.multiple8, models.instance_norm, models.two_inputs):
        assert _wire_view(path) == _ort_view(path)
    ops = read_model(models.instance_norm).op_types
    assert {"Conv", "InstanceNormalization", "Relu", "Sigmoid"} <= ops
    assert not ({*GLOBAL_OPS} & read_model(models.conv).op_types)


def test_initializers_listed_as_inputs_are_not_inputs(tmp_path: Path) -> None:
    """IR 3 files list weights among the graph inputs; ORT hides them, and so must we."""
    w = numpy_helper.from_array(np.ones((3, 3, 1, 1), np.float32), "w")
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "H", "W"])
    wi = helper.make_tensor_value_info("w", TensorProto.FLOAT, [3, 3, 1, 1])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "H", "W"])
    graph = helper.make_graph([helper.make_node("Conv", ["input", "w"], ["output"])], "g", [x, wi], [y], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], ir_version=3)
    path = tmp_path / "ir3.onnx"
    onnx.save(model, path)
    assert [i.name for i in read_model(path).inputs] == ["input"]


def test_truncated_and_junk_bytes_raise_malformed_only() -> None:
    data = SHIPPED[0].read_bytes()
    rng = np.random.default_rng(0)
    whole = parse_model(data)
    cuts = sorted({int(c) for c in rng.integers(1, len(data) - 1, 200)} | {1, 2, 3, 10, len(data) - 1})
    for cut in cuts:  # a cut file must never look like a whole model with a different signature
        try:
            sig = parse_model(data[:cut])
        except MalformedModel:
            continue
        assert (sig.inputs, sig.outputs) == (whole.inputs, whole.outputs)  # only trailing metadata lost
    for junk in (b"", b"not a model", bytes(rng.integers(0, 256, 4096, dtype=np.uint8))):
        with pytest.raises(MalformedModel):
            parse_model(junk)


def test_unreadable_file_falls_back_to_ort_message(tmp_path: Path) -> None:
    from huafeng.errors import InputError

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07garbage that protobuf cannot parse" * 3)
    with pytest.raises(InputError, match="not a loadable ONNX model"):
        inspect_model(junk)
