"""Train the repair networks: a gated-conv inpainting GAN and a damage segmenter, on simulated damage.

:class:`RepairTask` is a task for the shared loop (:func:`huafeng.train.loop.run`, which owns the
EMA copies, logging, samples, checkpoints and exact resume); this module holds what is particular
to repair: the data (clean photo → damaged photo + mask), the networks' signatures
(``G(image, mask)``) and the step. Run it with ``huafeng train configs/repair.yaml`` (the recipe's
``task: repair`` picks this task).

Each step, on a batch of clean crops damaged by :mod:`huafeng.data.damage`:

1. **G step**: L1 on the hole (the main term), a small L1 on the valid region (keeps the raw
   output anchored, which helps the hole's borders), MobileNetV2 feature loss between the
   *composite* and the clean photo (structure and texture, not just mean colour), and the hinge
   adversarial term of the SN-PatchGAN of DeepFill v2 (Yu et al. 2019; the registered ``patch``
   discriminator with spectral norm, fed image + mask so it judges the filled region in context),
   ramped in after ``adv_start`` steps so the D does not fight a blurry beginner.
2. **D step** (hinge, Lim & Ye 2017) on the same composite, detached.
3. **Detector step**: BCE + soft Dice of the segmenter's prediction on the damaged image (a
   ``clean_fraction`` of the samples undamaged, some with film grain).

The data is deterministic per (seed, step, sample): a resumed run sees exactly the batches an
uninterrupted one would. Photos are split train/held-out by a hash of the file name
(:func:`huafeng.data.damage.is_held_out`), the same split the benchmark evaluates on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from huafeng import imageio
from huafeng.cfgtools import apply_overrides, from_mapping
from huafeng.data.damage import DamageCfg, is_held_out, simulate
from huafeng.data.transforms import film_grain, random_hflip, random_resized_crop, resize_short, sample_rng
from huafeng.errors import InputError
from huafeng.losses import MobileNetV2Features, content_loss, d_loss, g_loss
from huafeng.models import build_discriminator
from huafeng.models.inpaint import DAMAGE_DETECTORS, INPAINTERS, GatedUNet, SegUNet
from huafeng.train.ema import EMA


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
    #: Share of crops given film grain (:func:`film_grain`) before they are damaged, so that the
    #: detector sees grainy clean photos too: grain on an old scan is not damage.
    grain: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.clean_fraction < 1.0:
            raise InputError(f"data.clean_fraction {self.clean_fraction} outside [0, 1)")
        if not 0.0 <= self.grain <= 1.0:
            raise InputError(f"data.grain {self.grain} outside [0, 1]")


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
    keep_checkpoints: int = 3
    sample_every: int = 500
    #: "all" trains inpainter, discriminator and detector; "detector" only the detector (the
    #: inpainter and D stay at their initial weights and are not exported from such a run).
    parts: str = "all"
    #: bfloat16 autocast for the detector's forward pass: ~2× faster on CPUs with AMX/AVX-512
    #: BF16 (measured 0.20 vs 0.44 s for a batch of 8 at 192 px), ~35× slower on ones without.
    bf16: bool = False

    def __post_init__(self) -> None:
        if self.parts not in ("all", "detector"):
            raise InputError(f"train.parts {self.parts!r}: valid are all, detector")
        for name in ("steps", "batch", "threads", "log_every", "ckpt_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise InputError(f"train.{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.ema < 1.0:
            raise InputError(f"train.ema {self.ema} outside [0, 1)")


@dataclass(frozen=True)
class RepairCfg:
    #: Which task a recipe trains (``huafeng train`` reads it): always "repair" here.
    task: str = "repair"
    model: RepairModelCfg = field(default_factory=RepairModelCfg)
    loss: RepairLossCfg = field(default_factory=RepairLossCfg)
    data: RepairDataCfg = field(default_factory=RepairDataCfg)
    damage: DamageCfg = field(default_factory=DamageCfg)
    train: RepairTrainCfg = field(default_factory=RepairTrainCfg)

    def __post_init__(self) -> None:
        if self.task != "repair":
            raise InputError(f"task {self.task!r}: a repair recipe has task: repair")


def load_repair_config(path: str | Path | None, overrides: list[str] | None = None) -> RepairCfg:
    """Read a ``configs/repair*.yaml`` recipe, apply ``a.b=v`` overrides, validate."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such config file")
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return from_mapping(RepairCfg, apply_overrides(data, overrides))


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
        if cfg.data.grain and rng.random() < cfg.data.grain:
            crop = film_grain(crop, rng)
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


# ---------------------------------------------------------------------------- the task


@dataclass
class _Nets:
    g: GatedUNet
    d: nn.Module
    det: SegUNet
    g_ema: EMA
    det_ema: EMA
    opts: dict[str, torch.optim.Optimizer]


def build_nets(cfg: RepairCfg) -> _Nets:
    """The three networks, their EMA copies and optimisers (each group with its base rate ``lr0``)."""
    m, t = cfg.model, cfg.train
    g = INPAINTERS.build(m.inpainter, **m.inpainter_kw)
    det = DAMAGE_DETECTORS.build(m.detector, **m.detector_kw)
    if not isinstance(g, GatedUNet) or not isinstance(det, SegUNet):
        raise InputError("the repair trainer needs an inpainter with .raw() and a detector with .logits()")
    d = build_discriminator(
        "patch", in_channels=4, base_channels=m.disc_channels, n_layers=m.disc_layers, spectral_norm=True
    )

    def adam(mod: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
        return torch.optim.Adam([{"params": list(mod.parameters()), "lr0": lr}], lr=lr, betas=betas)

    opts = {
        "g": adam(g, t.lr_g, t.betas),
        "d": adam(d, t.lr_d, t.betas),
        "det": adam(det, t.lr_det, (0.9, 0.999)),
    }
    return _Nets(g, d, det, EMA(g, t.ema), EMA(det, t.ema), opts)


class RepairTask:
    """The repair networks, their photos and one training step, for :func:`huafeng.train.loop.run`."""

    def __init__(self, cfg: RepairCfg) -> None:
        torch.manual_seed(cfg.train.seed)
        self.cfg, self.name = cfg, "repair"
        self.nets = n = build_nets(cfg)
        self.optimizers = n.opts
        self.modules: dict[str, nn.Module] = {"g": n.g, "d": n.d, "det": n.det}
        self.emas: dict[str, tuple[EMA, nn.Module]] = {"det_ema": (n.det_ema, n.det)}
        if cfg.train.parts == "all":
            self.emas["g_ema"] = (n.g_ema, n.g)
        else:  # kept in checkpoints (resume and export expect it), never trained
            self.modules["g_ema"] = n.g_ema.model
        # The perceptual net only serves the inpainter's step: a detector-only run never loads it.
        self.feats = MobileNetV2Features(cfg.loss.taps) if cfg.train.parts == "all" else None
        self.images_per_step = cfg.train.batch
        self.amp_dtype = torch.bfloat16 if cfg.train.bf16 else None

    def lr_factor(self, step: int) -> float:
        return 1.0  # constant rates (Adam), as in DeepFill v2

    def begin(self, ck: Any) -> None:
        self.photos = load_photos(training_photos(self.cfg.data), self.cfg.data.load_side)

    def step(self, step: int) -> dict[str, Any]:
        clean, damaged, mask = make_batch(self.photos, self.cfg, step)
        terms: dict[str, torch.Tensor] = {}
        if self.feats is not None:
            terms = _gan_step(self.nets, self.feats, self.cfg, clean, damaged, mask, step)
        terms |= _detector_step(self.nets, self.cfg, clean, damaged, mask, step)
        return {f"loss/{k}": v.detach() for k, v in terms.items()}

    def state(self) -> dict[str, Any]:
        return {}

    @torch.no_grad()
    def sample(self, path: Path) -> Path:
        """Rows of damaged | true mask | detected P | inpainted with the true mask | clean (EMA nets)."""
        from huafeng.train.samples import write_grid

        clean, damaged, mask = make_batch(
            self.photos, replace(self.cfg, train=replace(self.cfg.train, batch=4)), 0
        )
        g, det = self.nets.g_ema.model, cast(SegUNet, self.nets.det_ema.model)
        prob = torch.sigmoid(det.logits(damaged))
        filled = g(damaged, mask) if self.feats is not None else damaged
        cols = (damaged, mask, prob, filled, clean)
        return write_grid(path, [[c[i] for c in cols] for i in range(len(clean))])


def train_repair(
    cfg: RepairCfg,
    out_dir: str | Path,
    *,
    resume: bool = False,
    deadline_s: float | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Train ``cfg`` into ``out_dir`` through the shared loop (``resume`` continues a run there);
    stops at ``cfg.train.steps`` or after ``deadline_s`` seconds of training, checkpointing either
    way. Returns the last logged metrics."""
    from huafeng.train import distributed
    from huafeng.train.loop import LoopCfg, ensure_fresh, run

    t = cfg.train
    torch.set_num_threads(t.threads)
    ensure_fresh(Path(out_dir), resume)
    loop = LoopCfg(
        t.steps, t.seed, t.log_every, t.sample_every, t.ckpt_every, keep_checkpoints=t.keep_checkpoints
    )
    info = distributed.DistInfo(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    res = run(RepairTask(cfg), cfg, Path(out_dir), loop, info, resume=resume, deadline_s=deadline_s,
              progress=progress)  # fmt: skip
    return res.metrics


def _gan_step(
    nets: _Nets,
    feats: nn.Module,
    cfg: RepairCfg,
    clean: torch.Tensor,
    damaged: torch.Tensor,
    mask: torch.Tensor,
    step: int,
) -> dict[str, torch.Tensor]:
    """The inpainter's step (D frozen), then the D step (hinge, once the adversarial term is on) on
    the same composite, detached: one G forward, in the order of the style loop."""
    lc = cfg.loss
    adv_w = lc.adversarial * min(1.0, max(0.0, (step - lc.adv_start) / max(lc.adv_ramp, 1)))
    raw = nets.g.raw(damaged, mask)
    comp = torch.where(mask > 0.5, raw, damaged)
    nets.opts["g"].zero_grad(set_to_none=True)
    hole = masked_l1(raw, clean, mask)
    valid = masked_l1(raw, clean, 1 - mask)
    perc = content_loss(feats(comp), feats(clean), relative=True)
    loss = lc.hole_l1 * hole + lc.valid_l1 * valid + lc.perceptual * perc
    lg = ld = torch.zeros(())
    if adv_w > 0:  # before the ramp a D step would be wasted compute
        nets.d.requires_grad_(False)
        lg = g_loss("hinge", nets.d(torch.cat([comp, mask], 1)))
        nets.d.requires_grad_(True)
        loss = loss + adv_w * lg
    loss.backward()
    nets.opts["g"].step()
    if adv_w > 0:
        nets.opts["d"].zero_grad(set_to_none=True)
        real = nets.d(torch.cat([clean, mask], 1))
        fake = nets.d(torch.cat([comp.detach(), mask], 1))
        ld = d_loss("hinge", real, fake)
        ld.backward()
        nets.opts["d"].step()
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
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.train.bf16):
        logits = nets.det.logits(x)
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, target)
    dice = dice_loss(logits, target)
    (bce + cfg.loss.detector_dice * dice).backward()
    nets.opts["det"].step()
    return {"det_bce": bce, "det_dice": dice}
