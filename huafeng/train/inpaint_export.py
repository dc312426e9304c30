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

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from huafeng.cfgtools import from_mapping, to_dict
from huafeng.imageio import atomic_write_bytes
from huafeng.train.cards import manifest_licences
from huafeng.train.checkpoint import load_checkpoint
from huafeng.train.export import FP32_TOLERANCE, prepare_for_export
from huafeng.train.inpaint import RepairCfg, build_nets, training_photos
from huafeng.train.onnx_io import ExportError, parity, set_metadata, to_onnx


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
    out_name = "output" if kind == "inpainter" else "prob"
    dyn = {n: {2: "height", 3: "width"} for n in [*names, out_name]}
    data = to_onnx(m, args, names, [out_name], dyn)
    meta = {
        "huafeng.name": card.get("name", kind),
        "huafeng.kind": kind,
        "huafeng.description": card.get("description", ""),
        "huafeng.license": card.get("license", "Apache-2.0"),
        "huafeng.multiple": str(mult),
        "huafeng.card": json.dumps(card, ensure_ascii=False),
    }
    data = set_metadata(data, meta)
    diff = parity(data, m, feeds)
    if not diff <= FP32_TOLERANCE:
        raise ExportError(f"{kind}: ONNX output differs from torch by {diff:.2e}")
    atomic_write_bytes(path, data)
    return diff


def export_run(
    run_dir: str | Path, out_dir: str | Path, *, metrics: dict[str, Any] | None = None, notes: str = ""
) -> dict[str, float]:
    """Write ``detector.onnx`` and (unless the run trained only the detector) ``inpaint.onnx``: the
    EMA weights of the run's latest checkpoint."""
    ck = load_checkpoint(run_dir)
    cfg = from_mapping(RepairCfg, ck.state["config"])
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
            "licences": manifest_licences(Path(cfg.data.root, "MANIFEST.csv"), photos),
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
