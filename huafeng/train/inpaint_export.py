"""Export the repair networks to the ONNX files :mod:`huafeng.infer.repair` runs.

* ``inpaint.onnx``: inputs ``image`` (1, 3, H, W) and ``mask`` (1, 1, H, W) float32, output
  ``output`` (1, 3, H, W) — the composite, H and W dynamic (multiples of ``huafeng.multiple``).
* ``detector.onnx``: input ``image`` (1, 3, H, W), output ``prob`` (1, 1, H, W) = P(damaged).

Both go through :func:`huafeng.train.export.prepare_for_export` (spectral norm baked in,
BatchNorm folded), the legacy TorchScript exporter, a torch-vs-ORT parity check at two sizes
(raises above :data:`~huafeng.train.export.FP32_TOLERANCE`), and carry a model card in the
``huafeng.*`` metadata: what it was trained on (with the MANIFEST licences), at what size, on
what hardware, and the run's last logged losses.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from huafeng.config import to_dict
from huafeng.imageio import atomic_write_bytes
from huafeng.train.checkpoint import load_checkpoint
from huafeng.train.export import FP32_TOLERANCE, ExportError, prepare_for_export, set_metadata
from huafeng.train.inpaint import RepairCfg, _from_dict, build_nets, training_photos


def _to_onnx(model: nn.Module, args: tuple[torch.Tensor, ...], inputs: list[str], output: str) -> bytes:
    dyn = {2: "height", 3: "width"}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(
            model, args, buf,  # type: ignore[arg-type]
            input_names=inputs, output_names=[output], dynamic_axes={n: dyn for n in [*inputs, output]},
            opset_version=17, do_constant_folding=True, dynamo=False,
        )  # fmt: skip
    return buf.getvalue()


def _parity(data: bytes, model: nn.Module, feeds: list[dict[str, np.ndarray]]) -> float:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    worst = 0.0
    for f in feeds:
        with torch.no_grad():
            ref = model(*[torch.from_numpy(v) for v in f.values()]).numpy()
        worst = max(worst, float(np.abs(sess.run(None, f)[0] - ref).max()))
    return worst


def _feeds(with_mask: bool, multiple: int) -> list[dict[str, np.ndarray]]:
    out = []
    for k, (h, w) in enumerate([(8 * multiple, 8 * multiple), (6 * multiple, 10 * multiple)]):
        rng = np.random.default_rng(k)
        f = {"image": rng.random((1, 3, h, w), dtype=np.float32)}
        if with_mask:
            f["mask"] = (rng.random((1, 1, h, w)) < 0.2).astype(np.float32)
        out.append(f)
    return out


def export_repair_model(model: nn.Module, path: str | Path, *, kind: str, card: dict[str, Any]) -> float:
    """Export an inpainter (``kind="inpainter"``) or detector (``"detector"``); returns the parity error."""
    if kind not in ("inpainter", "detector"):
        raise ValueError(f"kind must be inpainter or detector, got {kind!r}")
    m = prepare_for_export(model)
    mult = int(getattr(model, "multiple", 1))
    feeds = _feeds(kind == "inpainter", mult)
    args = tuple(torch.from_numpy(v) for v in feeds[0].values())
    names = list(feeds[0])
    data = _to_onnx(m, args, names, "output" if kind == "inpainter" else "prob")
    meta = {
        "huafeng.name": card.get("name", kind),
        "huafeng.kind": kind,
        "huafeng.description": card.get("description", ""),
        "huafeng.license": card.get("license", "Apache-2.0"),
        "huafeng.multiple": str(mult),
        "huafeng.card": json.dumps(card, ensure_ascii=False),
    }
    data = set_metadata(data, meta)
    diff = _parity(data, m, feeds)
    if not diff <= FP32_TOLERANCE:
        raise ExportError(f"{kind}: ONNX output differs from torch by {diff:.2e}")
    atomic_write_bytes(path, data)
    return diff


def _licences(cfg: RepairCfg, paths: list[Path]) -> dict[str, int]:
    manifest = Path(cfg.data.root, "MANIFEST.csv")
    if not manifest.is_file():
        return {}
    root = Path(cfg.data.root).resolve()
    by_file = {}
    with manifest.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_file[row["file"]] = row.get("license", "")
    return dict(Counter(by_file.get(str(p.resolve().relative_to(root)), "unknown") for p in paths))


def export_run(
    run_dir: str | Path, out_dir: str | Path, *, metrics: dict[str, Any] | None = None, notes: str = ""
) -> dict[str, float]:
    """Write ``detector.onnx`` and (unless the run trained only the detector) ``inpaint.onnx``: the
    EMA weights of the run's latest checkpoint."""
    ck = load_checkpoint(run_dir)
    cfg = _from_dict(RepairCfg, ck.state["config"])
    nets = build_nets(cfg)
    g, det = nets.g_ema.model, nets.det_ema.model
    g.load_state_dict(ck.module_state("g_ema"))
    det.load_state_dict(ck.module_state("det_ema"))
    photos = training_photos(cfg.data)
    mpath = Path(run_dir, "metrics.jsonl")
    lines = mpath.read_text().splitlines() if mpath.is_file() else []
    last = json.loads(lines[-1]) if lines else {}
    common = {
        "trained_steps": ck.step,
        "hardware": ck.state.get("hardware", "unrecorded"),
        "train_size_px": cfg.data.size,
        "batch": cfg.train.batch,
        "data": {
            "folders": list(cfg.data.folders),
            "photos": len(photos),
            "held_out": f"1 in {cfg.data.holdout_every} by SHA-1 of the file name (never trained on)",
            "licences": _licences(cfg, photos),
            "damage": "simulated: scratch, crease, hole, stain, text, jpeg (huafeng.data.damage)",
        },
        "last_losses": last,
        "benchmark": metrics or {},
        "docs": "docs/repair.md",
        "notes": notes,
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inp_card = {
        "name": "repair-inpaint",
        "description": "Gated-convolution U-Net inpainting GAN (Yu et al. 2019) with SN-PatchGAN, "
        f"trained on a CPU at {cfg.data.size} px on simulated photo damage",
        "license": "Apache-2.0",
        "architecture": {"name": cfg.model.inpainter, **cfg.model.inpainter_kw},
        "losses": to_dict(cfg.loss),
        **common,
    }
    det_card = {
        "name": "repair-detector",
        "description": f"Small U-Net damage segmenter (BCE + Dice), trained on a CPU at {cfg.data.size} px "
        f"on simulated damage, {cfg.data.clean_fraction:.0%} of its samples undamaged photos",
        "license": "Apache-2.0",
        "architecture": {"name": cfg.model.detector, **cfg.model.detector_kw},
        **common,
    }
    parity = {"detector": export_repair_model(det, out / "detector.onnx", kind="detector", card=det_card)}
    if cfg.train.parts == "all":  # a detector-only run has an untrained inpainter: keep the shipped one
        parity["inpaint"] = export_repair_model(g, out / "inpaint.onnx", kind="inpainter", card=inp_card)
    return parity


if __name__ == "__main__":
    import sys

    print(export_run(sys.argv[1], sys.argv[2], notes=" ".join(sys.argv[3:])))
