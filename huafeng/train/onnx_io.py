"""Low-level ONNX helpers every export uses: trace to bytes, simplify, set metadata, an ORT
session for checks, torch-vs-ORT parity. (Style export: :mod:`huafeng.train.export`; repair:
:mod:`huafeng.train.inpaint_export`; quantisation: :mod:`huafeng.train.quantize`.)"""

from __future__ import annotations

import io
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from huafeng.errors import HuafengError


class ExportError(HuafengError):
    """The exported graph does not reproduce the torch model (or could not be produced)."""


def _session(model_bytes: bytes) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    return ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])


def _feeds(x: np.ndarray, style_dim: int | None, k: int = 0) -> dict[str, np.ndarray]:
    feeds = {"input": x}
    if style_dim:
        style = np.zeros((x.shape[0], style_dim), np.float32)
        style[:, k % style_dim] = 1.0
        feeds["style"] = style
    return feeds


def _simplify(model_bytes: bytes) -> bytes:
    """ONNX Runtime's hardware-independent (``ORT_ENABLE_BASIC``) rewrite, saved: folds the constant
    subgraphs the legacy exporter emits (e.g. ~15 nodes computing each reflect pad's amounts),
    drops Identity nodes and sorts the graph topologically. The result is plain standard ONNX."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory(prefix="huafeng-opt-") as d:
        out = Path(d, "opt.onnx")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(out)
        opts.log_severity_level = 3
        ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        return out.read_bytes()


def set_metadata(model_bytes: bytes, meta: dict[str, str]) -> bytes:
    """Replace an ONNX model's metadata_props (sorted, so exports are byte-stable) and check it."""
    model = onnx.load_from_string(model_bytes)
    del model.metadata_props[:]
    for k, v in sorted(meta.items()):
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def to_onnx(
    model: nn.Module,
    args: tuple[torch.Tensor, ...],
    inputs: list[str],
    outputs: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int = 17,
) -> bytes:
    """Legacy (TorchScript) export to bytes, the exporter's expected warnings silenced and its
    page-long errors cut to one line (every ONNX file we ship goes through here)."""
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            # Expected and harmless: instance norm uses per-image statistics in eval mode too (that
            # is what it is), and the exporter's constant folder skips strided Slices.
            warnings.filterwarnings("ignore", message=".*instance_norm.*")
            warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
            # The legacy exporter is deliberate (the dynamo one needs onnxscript, which we do not ship).
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(torch\.onnx|huafeng)")
            # torch's own shape checks (e.g. in InstanceNorm) trip the tracer; ours would still show.
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module=r"torch\.nn\.")
            # The stubs say path-only; the legacy exporter takes a file object.
            torch.onnx.export(
                model, args, buf,  # type: ignore[arg-type]
                input_names=inputs, output_names=outputs, dynamic_axes=dynamic_axes,
                opset_version=opset, do_constant_folding=True, dynamo=False,
            )  # fmt: skip
    except Exception as e:  # the exporter's messages run to pages; keep the first line
        raise ExportError(f"ONNX export failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}") from e
    return buf.getvalue()


def parity(model_bytes: bytes, reference: nn.Module, feeds: list[dict[str, np.ndarray]]) -> float:
    """Worst |ONNX − torch| over ``feeds`` (the torch model takes the feeds' arrays in order)."""
    sess = _session(model_bytes)
    worst = 0.0
    for f in feeds:
        with torch.no_grad():
            ref = reference(*[torch.from_numpy(v) for v in f.values()]).numpy()
        worst = max(worst, float(np.abs(sess.run(None, f)[0] - ref).max()))
    return worst
