"""Quantisation of an exported style model: static int8 (QDQ, per-channel, calibrated on real
images) and fp16 (for GPU providers). See :mod:`huafeng.train.export` for when each pays off."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx

from huafeng.errors import InputError
from huafeng.imageio import resize
from huafeng.train.onnx_io import _feeds, _simplify

_CALIBRATION_MAX_SIDE = 512  # calibration keeps every activation of every image in memory
# Ops worth running in int8 (QLinearConv and friends). Not InstanceNormalization, Sigmoid or the
# style MatMuls: tiny, or precision-critical, and ORT has no int8 kernels for them anyway.
_INT8_OPS = ["Conv", "Add", "Concat", "Resize", "Relu", "Clip", "AveragePool", "MaxPool"]


def _to_nchw(images: Sequence[np.ndarray], multiple: int) -> list[np.ndarray]:
    """HWC uint8 or float [0, 1] images → NCHW float32, at most 512 px, cropped to ``multiple``."""
    out = []
    for im in images:
        if im.ndim != 3 or im.shape[2] != 3:
            raise InputError(f"calibration images must be (H, W, 3), got {im.shape}")
        x = im.astype(np.float32) / 255.0 if im.dtype == np.uint8 else im.astype(np.float32)
        s = _CALIBRATION_MAX_SIDE / max(x.shape[:2])
        if s < 1:
            x = resize(x, (max(multiple, round(x.shape[1] * s)), max(multiple, round(x.shape[0] * s))))
        h, w = (x.shape[0] // multiple) * multiple, (x.shape[1] // multiple) * multiple
        if h == 0 or w == 0:
            raise InputError(
                f"calibration image {im.shape[:2]} is smaller than the model multiple {multiple}"
            )
        out.append(np.ascontiguousarray(x[:h, :w].transpose(2, 0, 1)[None]))
    return out


def _quantize_int8(fp32: bytes, inputs: list[np.ndarray], style_dim: int | None) -> bytes:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._it = iter([_feeds(x, style_dim, k) for k, x in enumerate(inputs)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    model = onnx.load_from_string(fp32)
    # The guided filter's variance/covariance arithmetic (and the final sigmoid) would lose its
    # precision in 8 bits for almost no speed: keep those nodes in float.
    exclude = [n.name for n in model.graph.node if "/guided/" in n.name or n.op_type == "Sigmoid"]
    with tempfile.TemporaryDirectory(prefix="huafeng-q-") as d:
        src, pre, dst = Path(d, "fp32.onnx"), Path(d, "pre.onnx"), Path(d, "int8.onnx")
        src.write_bytes(fp32)
        try:
            quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        except Exception:  # pre-processing is an optimisation; quantising the raw graph still works
            pre = src
        quantize_static(
            str(pre),
            str(dst),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=_INT8_OPS,
            nodes_to_exclude=exclude,
        )
        return dst.read_bytes()


def _quantize_fp16(fp32: bytes) -> bytes:
    from onnxruntime.transformers.float16 import convert_float_to_float16

    # Resize's scales/roi inputs must stay float32; keep_io_types leaves the model's I/O in float32.
    model = convert_float_to_float16(
        onnx.load_from_string(fp32), keep_io_types=True, op_block_list=["Resize"]
    )
    return _simplify(model.SerializeToString())  # the converter appends its input casts unsorted
