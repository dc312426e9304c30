"""Export a trained generator to the ONNX style-model format of ``docs/architecture.md``.

The contract with :mod:`huafeng.infer` (which never imports torch): input ``input`` (N, 3, H, W)
float32 RGB in [0, 1] with dynamic H/W (and ``style`` (N, K) for multi-style models), output
``output`` of the same layout and range, and the ``huafeng.*`` metadata in ``metadata_props``.

What happens, in order, and why:

1. A deep copy is put in eval mode, parametrisations (spectral/weight norm) are baked in and every
   Conv→BatchNorm pair is folded into the conv — so the graph holds no training-only op and
   BatchNorm costs nothing at inference (``docs/notes/cpu-generator-latency.md``).
2. The legacy TorchScript exporter (``dynamo=False``; onnxscript is not installed) writes opset 17.
3. Parity: ONNX Runtime vs torch on random inputs at the example size *and* a second size, which
   catches shapes baked into the graph; a difference above 1e-3 raises :class:`ExportError`.
4. Optional quantisation. ``"int8"``: static QDQ, per-channel, U8 activations / S8 weights,
   calibrated on real images — the latency study measured design C2 going from 2.7× to 4.0× the
   peer's speed (``benchmarks/latency_generators.py`` here: 1.2× on ``mobile`` C2 at 1024²),
   whereas ``quantize_dynamic`` (ConvInteger) was *slower* than fp32, so it is not offered.
   ``"fp16"``: half-precision weights and activations with float32 I/O kept, for GPU providers
   (on this CPU it ran 1.4× *slower* than fp32). Either way the output difference vs the fp32
   ONNX is measured and reported.
5. The file is written atomically (temp file + ``os.replace``).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn.utils import parametrize

from huafeng.errors import HuafengError, InputError
from huafeng.imageio import atomic_write_bytes, resize

REQUIRED_METADATA: tuple[str, ...] = (
    "huafeng.name",
    "huafeng.tradition",
    "huafeng.description",
    "huafeng.license",
    "huafeng.card",
)
FP32_TOLERANCE = 1e-3
_CALIBRATION_MAX_SIDE = 512  # calibration keeps every activation of every image in memory
# Ops worth running in int8 (QLinearConv and friends). Not InstanceNormalization, Sigmoid or the
# style MatMuls: tiny, or precision-critical, and ORT has no int8 kernels for them anyway.
_INT8_OPS = ["Conv", "Add", "Concat", "Resize", "Relu", "Clip", "AveragePool", "MaxPool"]


class ExportError(HuafengError):
    """The exported graph does not reproduce the torch model (or could not be produced)."""


@dataclass(frozen=True)
class ExportReport:
    """What :func:`export_onnx` wrote and measured.

    ``max_abs_diff``: fp32 ONNX vs torch, worst over ``sizes_checked`` (NaN when ``check=False``).
    ``quant_max_abs_diff`` / ``quant_mean_abs_diff``: the quantised model vs the fp32 ONNX, on the
    calibration images (or a random input for fp16 without images); None when not quantised.
    """

    path: Path
    max_abs_diff: float
    bytes: int
    quantize: str | None = None
    quant_max_abs_diff: float | None = None
    quant_mean_abs_diff: float | None = None
    sizes_checked: tuple[tuple[int, int], ...] = ()


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every eval-mode BatchNorm2d that directly follows a Conv2d in a ``Sequential`` (in place).

    ``W' = W·γ/σ``, ``b' = (b − μ)·γ/σ + β`` with ``σ = sqrt(running_var + eps)``; the BN becomes
    an ``Identity``. Our blocks (:class:`huafeng.models.blocks.ConvNormAct`) are built as such
    ``Sequential``\\ s precisely so that this finds them.
    """
    for parent in module.modules():
        if not isinstance(parent, nn.Sequential):
            continue
        names = list(parent._modules)
        for a, b in itertools.pairwise(names):
            conv, bn = parent._modules[a], parent._modules[b]
            if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)):
                continue
            if bn.running_mean is None or bn.running_var is None:
                continue  # no running statistics: nothing fixed to fold
            with torch.no_grad():
                scale = torch.rsqrt(bn.running_var + bn.eps)
                if bn.weight is not None:
                    scale = scale * bn.weight
                bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
                new_bias = (bias - bn.running_mean) * scale + (bn.bias if bn.bias is not None else 0.0)
                conv.weight.mul_(scale.view(-1, 1, 1, 1))
                conv.bias = nn.Parameter(new_bias)
            parent._modules[b] = nn.Identity()
    return module


def prepare_for_export(model: nn.Module) -> nn.Module:
    """A deep copy in eval mode with parametrisations baked in and BatchNorm folded."""
    m = copy.deepcopy(model).eval()
    for sub in [s for s in m.modules() if parametrize.is_parametrized(s)]:
        # Not ``parametrize.remove_parametrizations``: it deletes the property from the dynamically
        # created ``Parametrized<Cls>`` class, which a deep copy *shares* with the source model —
        # it would break the caller's model. Swap the instance's class back instead.
        values = {name: getattr(sub, name).detach().clone() for name in sub.parametrizations}  # type: ignore[union-attr]
        sub.__class__ = sub.__class__.__bases__[0]
        del sub._modules["parametrizations"]
        for name, value in values.items():
            sub.register_parameter(name, nn.Parameter(value))
    fold_batchnorm(m)
    return m.requires_grad_(False)


def _metadata(model: nn.Module, metadata: dict[str, str], style_dim: int | None) -> dict[str, str]:
    bad = [k for k in metadata if not k.startswith("huafeng.")]
    if bad:
        raise InputError(f"metadata keys must start with 'huafeng.': {bad}")
    missing = [k for k in REQUIRED_METADATA if k not in metadata]
    if missing:
        raise InputError(f"export metadata lacks {', '.join(missing)} (see docs/architecture.md)")
    try:
        json.loads(metadata["huafeng.card"])
    except (TypeError, ValueError):
        raise InputError("metadata 'huafeng.card' must be a JSON string") from None
    out = {k: str(v) for k, v in metadata.items()}
    out["huafeng.multiple"] = str(int(getattr(model, "multiple", 1)))
    scale = getattr(model, "render_scale", None)  # the engine runs it smaller and lifts the result back
    if scale is not None and "huafeng.render_scale" not in out:
        out["huafeng.render_scale"] = f"{float(scale):g}"
    if style_dim:
        out["huafeng.style_dim"] = str(style_dim)
    return out


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


def _torch_run(model: nn.Module, feeds: dict[str, np.ndarray]) -> np.ndarray:
    with torch.no_grad():
        args = [torch.from_numpy(feeds["input"])]
        if "style" in feeds:
            args.append(torch.from_numpy(feeds["style"]))
        out: np.ndarray = model(*args).numpy()
    return out


def _check_sizes(example_size: tuple[int, int], multiple: int) -> list[tuple[int, int]]:
    h, w = example_size
    # A second, non-square size that differs in both dimensions: catches shapes baked into the graph.
    return [(h, w), (h + 2 * multiple, max(multiple, w - multiple) if w > 2 * multiple else w + 3 * multiple)]


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


def _trace(model: nn.Module, example_size: tuple[int, int], style_dim: int | None, opset: int) -> bytes:
    """Legacy (TorchScript) export with dynamic batch/H/W, then :func:`_simplify`."""
    h, w = example_size
    args: tuple[torch.Tensor, ...] = (torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0)),)
    dyn = {0: "batch", 2: "height", 3: "width"}
    names, axes = ["input"], {"input": dyn, "output": dyn}
    if style_dim:
        args += (torch.full((1, style_dim), 1.0 / style_dim),)
        names.append("style")
        axes["style"] = {0: "batch"}
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
                input_names=names, output_names=["output"], dynamic_axes=axes,
                opset_version=opset, do_constant_folding=True, dynamo=False,
            )  # fmt: skip
    except Exception as e:  # the exporter's messages run to pages; keep the first line
        raise ExportError(f"ONNX export failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}") from e
    return _simplify(buf.getvalue())


def _parity(fp32: bytes, reference: nn.Module, sizes: list[tuple[int, int]], style_dim: int | None) -> float:
    """Worst |ONNX − torch| over random inputs at ``sizes`` (a different style weight at each)."""
    sess = _session(fp32)
    worst = 0.0
    for k, (h, w) in enumerate(sizes):
        feeds = _feeds(np.random.default_rng(k).random((1, 3, h, w), dtype=np.float32), style_dim, k)
        worst = max(worst, float(np.abs(sess.run(["output"], feeds)[0] - _torch_run(reference, feeds)).max()))
    return worst


def _compare(a: bytes, b: bytes, inputs: list[np.ndarray], style_dim: int | None) -> tuple[float, float]:
    """(max, mean) |a − b| over ``inputs``: the quantisation error report."""
    sa, sb = _session(a), _session(b)
    diffs = [
        np.abs(
            sa.run(["output"], _feeds(x, style_dim, k))[0] - sb.run(["output"], _feeds(x, style_dim, k))[0]
        )
        for k, x in enumerate(inputs)
    ]
    return float(max(d.max() for d in diffs)), float(np.mean([d.mean() for d in diffs]))


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, str],
    opset: int = 17,
    example_size: tuple[int, int] = (256, 256),
    style_dim: int | None = None,
    check: bool = True,
    quantize: str | None = None,
    calibration_images: list[np.ndarray] | None = None,
) -> ExportReport:
    """Export ``model`` (a generator from :mod:`huafeng.models`) to ``path``; see the module docs.

    ``style_dim`` defaults to the model's ``num_styles`` (multi-style models get a ``style``
    input). ``quantize="int8"`` needs ``calibration_images`` (HWC uint8 or float [0, 1], ideally
    a few dozen photos like those users will send); ``"fp16"`` uses them for its measurement.
    Raises :class:`huafeng.errors.InputError` for bad arguments and :class:`ExportError` when the
    graph cannot be produced or does not match torch; nothing is written then.
    """
    multiple = int(getattr(model, "multiple", 1))
    num_styles = int(getattr(model, "num_styles", 0) or 0)
    if style_dim is None:
        style_dim = num_styles or None
    elif num_styles and style_dim != num_styles:
        raise InputError(f"style_dim={style_dim} but the model has {num_styles} styles")
    if quantize not in (None, "int8", "fp16"):
        raise InputError(f"unknown quantize {quantize!r}; valid: int8, fp16")
    if quantize == "int8" and not calibration_images:
        raise InputError("int8 export needs calibration_images (a few dozen representative photos)")
    if example_size[0] % multiple or example_size[1] % multiple:
        raise InputError(f"example_size {example_size} must be a multiple of the model's {multiple}")
    meta = _metadata(model, metadata, style_dim)

    fp32 = set_metadata(_trace(prepare_for_export(model), example_size, style_dim, opset), meta)
    sizes = _check_sizes(example_size, multiple)
    max_diff = float("nan")
    if check:  # against the unfolded original: this also checks the BatchNorm folding
        max_diff = _parity(fp32, copy.deepcopy(model).eval(), sizes, style_dim)
        if not max_diff <= FP32_TOLERANCE:
            raise ExportError(f"ONNX output differs from torch by {max_diff:.2e} (> {FP32_TOLERANCE:g})")

    data, q_max, q_mean = fp32, None, None
    if quantize is not None:
        inputs = _to_nchw(calibration_images, multiple) if calibration_images else []
        data = _quantize_int8(fp32, inputs, style_dim) if quantize == "int8" else _quantize_fp16(fp32)
        data = set_metadata(data, meta)
        if not inputs:
            inputs = [np.random.default_rng(0).random((1, 3, *example_size), dtype=np.float32)]
        q_max, q_mean = _compare(data, fp32, inputs, style_dim)

    atomic_write_bytes(path, data)
    return ExportReport(
        path=Path(path), max_abs_diff=max_diff, bytes=len(data), quantize=quantize,
        quant_max_abs_diff=q_max, quant_mean_abs_diff=q_mean, sizes_checked=tuple(sizes),
    )  # fmt: skip


# ------------------------------------------------------------------- checkpoint → shipped style


def _manifest_licences(cfg: Any, paths: Sequence[Path]) -> dict[str, int]:
    """Count the MANIFEST.csv licence of every training image: the card must carry it on."""
    import csv

    manifest = Path(cfg.data.path(cfg.data.manifest or "MANIFEST.csv"))
    if not manifest.is_file():
        return {"unknown (no MANIFEST.csv beside the data)": len(paths)}
    wanted = {p.resolve() for p in paths}
    counts: dict[str, int] = {}
    with manifest.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if (manifest.parent / row["file"]).resolve() in wanted:
                lic = row.get("license", "").strip() or "unknown"
                counts[lic] = counts.get(lic, 0) + 1
    missing = len(wanted) - sum(counts.values())
    if missing > 0:
        counts["not in MANIFEST.csv"] = missing
    return counts


def _data_card(cfg: Any) -> dict[str, Any]:
    """What the model was trained on: folders, image counts and their licences, style references."""
    from huafeng.data.folders import find_images

    card: dict[str, Any] = {"root": str(cfg.data.root)}
    for what, entries, label in (
        ("content", cfg.data.content, None),
        ("style", cfg.data.style_entries(), cfg.data.manifest_label),
    ):
        try:
            paths = find_images(cfg.data, entries, what=what, label_regex=label)
        except InputError:  # data moved since training: say so rather than fail the export
            card[what] = {"entries": list(entries), "images": None}
            continue
        card[what] = {
            "entries": list(entries),
            "images": len(paths),
            "licences": _manifest_licences(cfg, paths),
        }
    card["style_images"] = [str(cfg.data.path(p)) for p in cfg.data.style_reference]
    return card


def _training_card(state: dict[str, Any], run_dir: Path, ckpt_path: Path) -> dict[str, Any]:
    """Hardware and time to this checkpoint, as the loop recorded them.

    Checkpoints from before the loop recorded them fall back to wall-clock minutes between the run's
    ``config.yaml`` and the checkpoint file (which includes time spent waiting for a busy CPU).
    """
    if "train_seconds" in state:
        return {
            "hardware": state.get("hardware", "unrecorded"),
            "train_minutes": round(float(state["train_seconds"]) / 60, 1),
            "time_basis": "loop compute time, summed over resumes",
        }
    cfg_file = run_dir / "config.yaml"
    if cfg_file.is_file():
        minutes = (ckpt_path.stat().st_mtime - cfg_file.stat().st_mtime) / 60
        return {
            "hardware": "unrecorded",
            "train_minutes": round(minutes, 1),
            "time_basis": "wall clock, config.yaml to checkpoint",
        }
    return {"hardware": "unrecorded"}


def _last_metrics(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return {}
    last: dict[str, Any] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                last = json.loads(line)
            except ValueError:
                continue
    return last


def export_checkpoint(
    checkpoint: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    name: str | None = None,
    tradition: str | None = None,
    quantize: str | None = None,
    ema: bool = True,
    overwrite: bool = False,
    calibration_dir: str | os.PathLike[str] | None = None,
) -> ExportReport:
    """A training checkpoint (file or run folder) → an ONNX style the engine lists and runs.

    The model card (``huafeng.card``) records the data (with MANIFEST licences), the full config,
    the step count and the last logged losses, so a shipped style says where it came from.
    """
    from huafeng.config import to_dict
    from huafeng.imageio import check_writable, list_images, read_image
    from huafeng.train.checkpoint import load_checkpoint, load_generator, resolve

    out = check_writable(output, overwrite=overwrite)
    ckpt_path = resolve(Path(checkpoint))
    g, cfg = load_generator(ckpt_path, ema=ema)
    ck = load_checkpoint(ckpt_path)
    ck_state, step = ck.state, ck.step
    run_dir = ckpt_path.parent.parent if ckpt_path.parent.name == "checkpoints" else ckpt_path.parent
    card = {
        "name": name or cfg.name,
        "tradition": tradition or cfg.tradition,
        "steps": step,
        "weights": "ema" if ema else "raw",
        "data": _data_card(cfg),
        "config": to_dict(cfg),
        "final_metrics": _last_metrics(run_dir),
        "training": _training_card(ck_state, run_dir, ckpt_path),
        "license": cfg.license,
    }
    if cfg.model.generator == "magenta_cin":
        from huafeng.models.pretrained import ATTRIBUTION

        card["initialised_from"] = ATTRIBUTION
    metadata = {
        "huafeng.name": name or cfg.name,
        "huafeng.tradition": tradition or cfg.tradition or "unspecified",
        "huafeng.description": cfg.description or f"trained with huafeng ({cfg.train.mode} mode)",
        "huafeng.license": cfg.license,
        "huafeng.card": json.dumps(card, ensure_ascii=False, default=str),
    }
    if cfg.data.style_names:
        metadata["huafeng.style_names"] = json.dumps(list(cfg.data.style_names), ensure_ascii=False)
    calib: list[np.ndarray] | None = None
    if quantize == "int8":
        from huafeng.data.folders import find_images

        src = (
            list_images([calibration_dir])
            if calibration_dir
            else find_images(cfg.data, cfg.data.content, what="content")
        )
        calib = [read_image(p).rgb for p in src[:32]]
    multiple = int(getattr(g, "multiple", 1))
    size = max(multiple, (256 // multiple) * multiple)
    return export_onnx(
        g, out, metadata=metadata, example_size=(size, size), quantize=quantize, calibration_images=calib
    )
