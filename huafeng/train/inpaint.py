"""Train the repair networks: a gated-conv inpainting GAN and a damage segmenter, on simulated damage.

One visible loop, in the same conventions as :mod:`huafeng.train.loop` (typed frozen config,
safetensors checkpoints via :mod:`huafeng.train.checkpoint`, exact resume, EMA of the generator,
JSONL metrics), but its own module because the data (clean photo → damaged photo + mask) and the
networks' signatures (``G(image, mask)``) differ from style transfer's.

Each step, on a batch of clean crops damaged by :mod:`huafeng.data.damage`:

1. **D step** (hinge, Lim & Ye 2017) on the SN-PatchGAN of DeepFill v2 (Yu et al. 2019): the
   registered ``patch`` discriminator with spectral norm, fed image + mask (4 channels) so it
   judges the filled region in context.
2. **G step**: L1 on the hole (the main term), a small L1 on the valid region (keeps the raw
   output anchored, which helps the hole's borders), MobileNetV2 feature loss between the
   *composite* and the clean photo (structure and texture, not just mean colour), and the hinge
   adversarial term, ramped in after ``adv_start`` steps so the D does not fight a blurry
   beginner.
3. **Detector step**: BCE + soft Dice of the segmenter's prediction on the damaged image.
4. EMA of G and of the detector; log; checkpoint.

The data is deterministic per (seed, step, sample): a resumed run sees exactly the batches an
uninterrupted one would. Photos are split train/held-out by a hash of the file name
(:func:`huafeng.data.damage.is_held_out`), the same split the benchmark evaluates on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from huafeng import imageio
from huafeng.config import _from_dict, apply_overrides, to_dict
from huafeng.data.damage import DamageCfg, is_held_out, simulate
from huafeng.data.transforms import random_hflip, random_resized_crop, resize_short, sample_rng
from huafeng.errors import InputError
from huafeng.losses import MobileNetV2Features, content_loss, d_loss, g_loss
from huafeng.models import build_discriminator
from huafeng.models.inpaint import DAMAGE_DETECTORS, INPAINTERS, GatedUNet, SegUNet
from huafeng.train.checkpoint import (
    find_latest,
    load_checkpoint,
    restore_optimizer,
    save_checkpoint,
    set_rng_state,
)
from huafeng.train.ema import EMA
from huafeng.train.loop import hardware_line


@dataclass(frozen=True)
class RepairModelCfg:
    inpainter: str = "gated_unet"
    inpainter_kw: dict[str, Any] = field(default_factory=lambda: {"base_channels": 16})
    detector: str = "seg_unet"
    detector_kw: dict[str, Any] = field(default_factory=lambda: {"base_channels": 16})
    #: SN-PatchGAN: spectral norm is what keeps a hinge D stable without other normalisation.
    disc_channels: int = 32
    disc_layers: int = 3


@dataclass(frozen=True)
class RepairLossCfg:
    hole_l1: float = 6.0  # the hole is what we grade; weight as in Liu et al. 2018 (partial conv)
    valid_l1: float = 1.0
    perceptual: float = 0.5  # relative MSE per tap: scale-free, ~0.1-1 at the start
    taps: tuple[str, ...] = ("features.2.conv.0", "features.4.conv.0", "features.7.conv.0")
    adversarial: float = 0.02
    adv_start: int = 300  # steps of reconstruction-only warm-up
    adv_ramp: int = 300
    detector_dice: float = 1.0


@dataclass(frozen=True)
class RepairDataCfg:
    root: str = "../shared/data"
    folders: tuple[str, ...] = ("content",)
    size: int = 128  # reduced for CPU training; the net is fully convolutional
    load_side: int = 192  # photos are cached in memory at this short side
    crop_scale: tuple[float, float] = (0.35, 1.0)
    holdout_every: int = 10
    max_images: int = 0  # 0 = all (tests use a few)
    #: Share of the detector's samples shown undamaged (mask all 0). Without clean examples the
    #: segmenter learns that every picture holds damage and flags fur and foliage on clean photos.
    clean_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.clean_fraction < 1.0:
            raise InputError(f"data.clean_fraction {self.clean_fraction} outside [0, 1)")


@dataclass(frozen=True)
class RepairTrainCfg:
    steps: int = 3000
    batch: int = 8
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    lr_det: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    ema: float = 0.998
    seed: int = 0
    threads: int = 1
    log_every: int = 25
    ckpt_every: int = 200
    sample_every: int = 500
    #: "all" trains inpainter, discriminator and detector; "detector" only the detector (the
    #: inpainter and D stay at their initial weights and are not exported from such a run).
    parts: str = "all"

    def __post_init__(self) -> None:
        if self.parts not in ("all", "detector"):
            raise InputError(f"train.parts {self.parts!r}: valid are all, detector")


@dataclass(frozen=True)
class RepairCfg:
    model: RepairModelCfg = field(default_factory=RepairModelCfg)
    loss: RepairLossCfg = field(default_factory=RepairLossCfg)
    data: RepairDataCfg = field(default_factory=RepairDataCfg)
    damage: DamageCfg = field(default_factory=DamageCfg)
    train: RepairTrainCfg = field(default_factory=RepairTrainCfg)


def load_repair_config(path: str | Path | None, overrides: list[str] | None = None) -> RepairCfg:
    """Read a ``configs/repair*.yaml`` recipe, apply ``a.b=v`` overrides, validate."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such config file")
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return _from_dict(RepairCfg, apply_overrides(data, overrides))


# ---------------------------------------------------------------------------- data


def training_photos(cfg: RepairDataCfg) -> list[Path]:
    """The photos this run may train on: every image in ``folders`` that is not held out."""
    paths = imageio.list_images([Path(cfg.root, f) for f in cfg.folders])
    train = [p for p in paths if not is_held_out(p, cfg.holdout_every)]
    if cfg.max_images:
        train = train[: cfg.max_images]
    if not train:
        raise InputError(f"no training photos under {cfg.root} {list(cfg.folders)}")
    return train


def load_photos(paths: list[Path], side: int) -> list[np.ndarray]:
    out = []
    for p in paths:
        try:
            rgb = imageio.read_image(p).rgb
        except InputError:
            continue
        if min(rgb.shape[:2]) >= 32:
            out.append(resize_short(rgb, side))
    return out


def make_batch(
    photos: list[np.ndarray], cfg: RepairCfg, step: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(clean, damaged, mask) for ``step``: NCHW float32, mask N1HW in {0, 1}; deterministic."""
    clean, damaged, masks = [], [], []
    for i in range(cfg.train.batch):
        rng = sample_rng(cfg.train.seed, 7, step * cfg.train.batch + i)
        rgb = photos[int(rng.integers(len(photos)))]
        crop = random_hflip(random_resized_crop(rgb, cfg.data.size, rng, cfg.data.crop_scale), rng)
        d = simulate(np.ascontiguousarray(crop), rng, cfg.damage)
        clean.append(crop)
        damaged.append(d.image)
        masks.append(d.mask)

    def t(a: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float().div(255.0)

    return t(clean), t(damaged), torch.from_numpy(np.stack(masks)[:, None].astype(np.float32))


# ---------------------------------------------------------------------------- losses


def masked_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean |pred − target| over the pixels where ``weight`` (N1HW) is 1."""
    return ((pred - target).abs() * weight).sum() / (weight.sum() * pred.shape[1]).clamp_min(1.0)


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Soft Dice (Milletari et al. 2016): insensitive to how rare the damaged pixels are."""
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    return (1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)).mean()


# ---------------------------------------------------------------------------- the loop


@dataclass
class _Nets:
    g: GatedUNet
    d: nn.Module
    det: SegUNet
    g_ema: EMA
    det_ema: EMA
    opts: dict[str, torch.optim.Optimizer]


def build_nets(cfg: RepairCfg) -> _Nets:
    m, t = cfg.model, cfg.train
    g = INPAINTERS.build(m.inpainter, **m.inpainter_kw)
    det = DAMAGE_DETECTORS.build(m.detector, **m.detector_kw)
    if not isinstance(g, GatedUNet) or not isinstance(det, SegUNet):
        raise InputError("the repair trainer needs an inpainter with .raw() and a detector with .logits()")
    d = build_discriminator(
        "patch", in_channels=4, base_channels=m.disc_channels, n_layers=m.disc_layers, spectral_norm=True
    )
    opts: dict[str, torch.optim.Optimizer] = {
        "g": torch.optim.Adam(g.parameters(), lr=t.lr_g, betas=t.betas),
        "d": torch.optim.Adam(d.parameters(), lr=t.lr_d, betas=t.betas),
        "det": torch.optim.Adam(det.parameters(), lr=t.lr_det),
    }
    return _Nets(g, d, det, EMA(g, t.ema), EMA(det, t.ema), opts)


def _modules(n: _Nets) -> dict[str, nn.Module]:
    return {"g": n.g, "d": n.d, "det": n.det, "g_ema": n.g_ema.model, "det_ema": n.det_ema.model}


def train_repair(
    cfg: RepairCfg, out_dir: str | Path, *, resume: bool = True, stop_at: float | None = None
) -> dict[str, float]:
    """Train (or resume) in ``out_dir``; stops at ``cfg.train.steps`` or wall-clock ``stop_at``
    (a ``time.time()`` value), checkpointing either way. Returns the last logged metrics."""
    out = Path(out_dir)
    ckpt_dir = out / "checkpoints"
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.train.threads)
    torch.manual_seed(cfg.train.seed)
    nets = build_nets(cfg)
    # The perceptual net only serves the inpainter's step: a detector-only run never loads it.
    feats = MobileNetV2Features(cfg.loss.taps) if cfg.train.parts == "all" else None
    start = 0
    latest = find_latest(ckpt_dir) if resume else None
    if latest is not None:
        ck = load_checkpoint(latest)
        for name, mod in _modules(nets).items():
            mod.load_state_dict(ck.module_state(name))
        lrs = {"g": cfg.train.lr_g, "d": cfg.train.lr_d, "det": cfg.train.lr_det}
        for name, opt in nets.opts.items():
            restore_optimizer(ck, name, opt)
            for group in opt.param_groups:  # the recipe's rate wins, so a resumed run can change it
                group["lr"] = lrs[name]
        set_rng_state(ck.state["rng"], {k: v for k, v in ck.tensors.items() if k.startswith("rng/")})
        start = ck.step
        _truncate_metrics(out / "metrics.jsonl", start)
    (out / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
    photos = load_photos(training_photos(cfg.data), cfg.data.load_side)
    metrics_path = out / "metrics.jsonl"
    last: dict[str, float] = {}
    t0 = time.time()
    done = start
    for step in range(start, cfg.train.steps):
        if stop_at is not None and time.time() >= stop_at:
            break
        m = _train_step(nets, feats, cfg, *make_batch(photos, cfg, step), step)
        done = step + 1
        if done % cfg.train.log_every == 0 or done == cfg.train.steps:
            last = {"step": done, **m, "sec_per_step": (time.time() - t0) / (done - start)}
            with metrics_path.open("a") as f:
                f.write(json.dumps(last) + "\n")
        if done % cfg.train.ckpt_every == 0:
            _save(nets, cfg, ckpt_dir, done)
    if done % cfg.train.ckpt_every or latest is None:  # the final state, unless just saved
        _save(nets, cfg, ckpt_dir, done)
    return last


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop lines logged after the checkpoint we resume from (a crash between log and save)."""
    if path.is_file():
        keep = [x for x in path.read_text().splitlines() if x and json.loads(x).get("step", 0) <= step]
        path.write_text("".join(x + "\n" for x in keep))


def _save(nets: _Nets, cfg: RepairCfg, ckpt_dir: Path, step: int) -> None:
    save_checkpoint(
        ckpt_dir,
        step,
        modules=_modules(nets),
        optimizers=nets.opts,
        state={"config": to_dict(cfg), "hardware": hardware_line(torch.device("cpu"), 1, cfg.train.threads)},
    )


def _train_step(
    nets: _Nets,
    feats: nn.Module | None,
    cfg: RepairCfg,
    clean: torch.Tensor,
    damaged: torch.Tensor,
    mask: torch.Tensor,
    step: int,
) -> dict[str, float]:
    """One step of each part the recipe trains (``train.parts``), then their EMAs."""
    terms: dict[str, torch.Tensor] = {}
    if cfg.train.parts == "all":
        if feats is None:
            raise ValueError("the inpainter's step needs the perceptual feature net")
        terms = _gan_step(nets, feats, cfg, clean, damaged, mask, step)
        nets.g_ema.update(nets.g, step)
    terms.update(_detector_step(nets, cfg, clean, damaged, mask, step))
    nets.det_ema.update(nets.det, step)
    return {k: float(v.detach()) for k, v in terms.items()}


def _gan_step(
    nets: _Nets,
    feats: nn.Module,
    cfg: RepairCfg,
    clean: torch.Tensor,
    damaged: torch.Tensor,
    mask: torch.Tensor,
    step: int,
) -> dict[str, torch.Tensor]:
    """D step (hinge, once the adversarial term is on), then the inpainter's step."""
    lc = cfg.loss
    adv_w = lc.adversarial * min(1.0, max(0.0, (step - lc.adv_start) / max(lc.adv_ramp, 1)))
    raw = nets.g.raw(damaged, mask)
    comp = torch.where(mask > 0.5, raw, damaged)
    ld = torch.zeros(())
    if adv_w > 0:  # before the ramp a D step would be wasted compute
        nets.opts["d"].zero_grad(set_to_none=True)
        real = nets.d(torch.cat([clean, mask], 1))
        fake = nets.d(torch.cat([comp.detach(), mask], 1))
        ld = d_loss("hinge", real, fake)
        ld.backward()
        nets.opts["d"].step()
    nets.opts["g"].zero_grad(set_to_none=True)
    hole = masked_l1(raw, clean, mask)
    valid = masked_l1(raw, clean, 1 - mask)
    perc = content_loss(feats(comp), feats(clean), relative=True)
    loss = lc.hole_l1 * hole + lc.valid_l1 * valid + lc.perceptual * perc
    lg = torch.zeros(())
    if adv_w > 0:
        nets.d.requires_grad_(False)
        lg = g_loss("hinge", nets.d(torch.cat([comp, mask], 1)))
        nets.d.requires_grad_(True)
        loss = loss + adv_w * lg
    loss.backward()
    nets.opts["g"].step()
    return {"g_total": loss, "hole_l1": hole, "valid_l1": valid, "perceptual": perc, "g_adv": lg,
            "d_hinge": ld}  # fmt: skip


def clean_selection(cfg: RepairCfg, step: int, n: int) -> torch.Tensor:
    """Which of the ``n`` detector samples of ``step`` are shown undamaged (deterministic, N111)."""
    rng = sample_rng(cfg.train.seed, 11, step)
    return torch.from_numpy(rng.random(n) < cfg.data.clean_fraction).view(n, 1, 1, 1)


def _detector_step(
    nets: _Nets, cfg: RepairCfg, clean: torch.Tensor, damaged: torch.Tensor, mask: torch.Tensor, step: int
) -> dict[str, torch.Tensor]:
    """BCE + soft Dice on the damaged batch, a ``clean_fraction`` of it swapped for clean photos."""
    sel = clean_selection(cfg, step, len(clean))
    x = torch.where(sel, clean, damaged)
    target = torch.where(sel, torch.zeros_like(mask), mask)
    nets.opts["det"].zero_grad(set_to_none=True)
    logits = nets.det.logits(x)
    bce = F.binary_cross_entropy_with_logits(logits, target)
    dice = dice_loss(logits, target)
    (bce + cfg.loss.detector_dice * dice).backward()
    nets.opts["det"].step()
    return {"det_bce": bce, "det_dice": dice}


def main(argv: list[str] | None = None) -> None:
    """``python -m huafeng.train.inpaint CONFIG OUT_DIR [--minutes M] [key=value ...]``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m huafeng.train.inpaint", description=main.__doc__)
    ap.add_argument("config")
    ap.add_argument("out_dir")
    ap.add_argument("--minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    ap.add_argument("overrides", nargs="*", help="dotted overrides, e.g. train.steps=100")
    a = ap.parse_intermixed_args(argv)  # overrides may come after --minutes
    cfg = load_repair_config(a.config, a.overrides)
    stop = time.time() + 60 * a.minutes if a.minutes else None
    print(json.dumps(train_repair(cfg, a.out_dir, stop_at=stop)))


if __name__ == "__main__":
    main()
