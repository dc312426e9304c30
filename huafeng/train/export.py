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
import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from huafeng.errors import InputError
from huafeng.imageio import atomic_write_bytes
from huafeng.train.cards import data_card, last_metrics, training_card
from huafeng.train.onnx_io import ExportError, _feeds, _session, _simplify, parity, set_metadata, to_onnx
from huafeng.train.quantize import _quantize_fp16, _quantize_int8, _to_nchw
from huafeng.train.render_lift import detail_gain

REQUIRED_METADATA: tuple[str, ...] = (
    "huafeng.name",
    "huafeng.tradition",
    "huafeng.description",
    "huafeng.license",
    "huafeng.card",
)
FP32_TOLERANCE = 1e-3


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
    gain = detail_gain(model)  # a learnt amount of lifted photo detail (train/render_lift.py)
    if gain is not None and "huafeng.render_detail" not in out:
        out["huafeng.render_detail"] = f"{float(gain.detach()):.4g}"
    if style_dim:
        out["huafeng.style_dim"] = str(style_dim)
    return out


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


def _trace(model: nn.Module, example_size: tuple[int, int], style_dim: int | None, opset: int) -> bytes:
    """A style model with dynamic batch/H/W (and a ``style`` input for multi-style), simplified."""
    h, w = example_size
    args: tuple[torch.Tensor, ...] = (torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0)),)
    dyn = {0: "batch", 2: "height", 3: "width"}
    names, axes = ["input"], {"input": dyn, "output": dyn}
    if style_dim:
        args += (torch.full((1, style_dim), 1.0 / style_dim),)
        names.append("style")
        axes["style"] = {0: "batch"}
    return _simplify(to_onnx(model, args, names, ["output"], axes, opset))


def _parity(fp32: bytes, reference: nn.Module, sizes: list[tuple[int, int]], style_dim: int | None) -> float:
    """Worst |ONNX − torch| over random inputs at ``sizes`` (a different style weight at each)."""
    feeds = [
        _feeds(np.random.default_rng(k).random((1, 3, h, w), dtype=np.float32), style_dim, k)
        for k, (h, w) in enumerate(sizes)
    ]
    return parity(fp32, reference, feeds)


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
    from huafeng.cfgtools import to_dict
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
        "data": data_card(cfg),
        "config": to_dict(cfg),
        "final_metrics": last_metrics(run_dir),
        "training": training_card(ck_state, run_dir, ckpt_path),
        "license": cfg.license,
    }
    attribution = getattr(g, "attribution", None)  # a pretrained base says where its weights came from
    if attribution:
        card["initialised_from"] = attribution
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
