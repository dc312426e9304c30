"""The style-transfer training task that :func:`huafeng.train.loop.train` runs.

Three modes share it:

* ``style`` — Johnson et al. 2016 feed-forward stylisation: G maps a photo to a painting; content
  (MobileNetV2 features) + Gram style + colour statistics + TV, plus a PatchGAN D that has seen
  real paintings and supplies what Gram matrices cannot (brush layout, motifs).
* ``multi`` — the same with K styles in one conditional G (Dumoulin et al. 2017): each photo is
  paired with a painting of a (class-balanced) random style and G is told that style one-hot;
  one D per style.
* ``cycle`` — CycleGAN (Zhu et al. 2017): unpaired photo ↔ painting, two Gs, two Ds, cycle and
  identity losses, optional perceptual terms on the photo → painting direction.

Per step: G update first (its fakes are reused, detached, by D — one G forward instead of two, as
in CycleGAN's reference code), then D. The loop (:mod:`huafeng.train.loop`) owns everything
around that: learning-rate schedule, EMA, per-step seeds, logging, samples, checkpoints, resume.

How to add a loss term: write the pure function in :mod:`huafeng.losses`, give it a weight in
:class:`huafeng.config.LossCfg` and add one entry to :data:`huafeng.train.terms.PERCEPTUAL_TERMS`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn

from huafeng import losses
from huafeng.config import RunCfg
from huafeng.data import NEGATIVES, PAINTINGS, PHOTOS, DataPlan, build_data, make_loader
from huafeng.errors import InputError
from huafeng.train import checkpoint as ckpt_io
from huafeng.train import distributed
from huafeng.train.balance import ContentBalance
from huafeng.train.ema import EMA
from huafeng.train.precision import autocast_dtype
from huafeng.train.render_lift import lifted, set_detail_gain
from huafeng.train.samples import style_samples
from huafeng.train.style_targets import StyleTaps, pick_targets, reference_targets
from huafeng.train.terms import PERCEPTUAL_TERMS, perceptual


class StyleTask:
    """Networks, optimisers, data and one G+D step of a style, multi or cycle run (see module doc)."""

    def __init__(self, cfg: RunCfg, info: distributed.DistInfo) -> None:
        tc, lc = cfg.train, cfg.loss
        self.cfg, self.info, self.device = cfg, info, info.device
        self.name = cfg.name
        # bf16 autocast where the hardware runs it natively (train/precision.py: 2x faster on a Xeon
        # with AMX, 35x *slower* on an AVX2-only CPU). The perceptual terms always run in fp32
        # (below): Gram differences vanish in bf16.
        self.amp_dtype = autocast_dtype(tc.amp, self.device.type)
        torch.manual_seed(tc.seed)  # same initial weights on every rank (and broadcast below anyway)
        # networks first (a typo in a model's kwargs fails before any image is read), then data
        self.num_styles = len(cfg.data.style) if tc.mode == "multi" else 1
        nets = {k: m.to(self.device).train() for k, m in ckpt_io.build_networks(cfg, self.num_styles).items()}
        self.data = build_data(cfg.data, DataPlan.of(cfg))
        g = nets["g"]
        self.multiple = int(getattr(g, "multiple", 1))
        if cfg.data.crop_size % self.multiple:
            raise InputError(
                f"data.crop_size: {cfg.data.crop_size} is not a multiple of {self.multiple} "
                f"(required by generator {cfg.model.generator!r})"
            )
        for m in nets.values():
            distributed.broadcast_module(info, m)
        self.nets = self.modules = nets
        self.ema = EMA(g, tc.ema_decay)
        self.emas = {"g_ema": (self.ema, g)}
        self.gens = [m for k, m in nets.items() if k.startswith("g")]
        self.discs = [m for k, m in nets.items() if k.startswith("d")]
        d_params = [p for m in self.discs for p in m.parameters()]
        self.optimizers = {
            "g": _adam(_g_groups(self.gens, cfg), cfg.optim.lr_g, cfg),
            "d": _adam([{"params": d_params, "lr0": cfg.optim.lr_d}], cfg.optim.lr_d, cfg),
        }
        # fp16 needs loss scaling (its range underflows small gradients); bf16 and fp32 do not.
        fp16 = self.amp_dtype is torch.float16
        self.scalers = {k: torch.amp.GradScaler(self.device.type, enabled=fp16) for k in ("g", "d")}
        style_taps = lc.style_taps or losses.STYLE_TAPS
        self.content_taps = lc.content_taps or losses.CONTENT_TAPS
        w = lc.style_tap_weights
        weights = dict(zip(style_taps, w, strict=True)) if w else None
        self.style = StyleTaps(style_taps, weights, lc.style_scales)
        taps = tuple(dict.fromkeys((*style_taps, *self.content_taps)))
        self.feat_net = (
            losses.MobileNetV2Features(taps).to(self.device) if lc.content > 0 or lc.style > 0 else None
        )
        self.images_per_step = cfg.data.batch_size * info.world_size
        # each rank steers on its own batches (learn-style, its user, runs one process)
        self.balance = ContentBalance(lc.ssim_target)
        self.samples_seen = 0

    # ------------------------------------------------------------------ the loop's contract

    def lr_factor(self, step: int) -> float:
        return self.cfg.optim.lr_factor(step, self.cfg.train.steps)

    def begin(self, ck: ckpt_io.Checkpoint | None) -> None:
        """Restore what the loop does not know about, then open the data streams where it stopped.

        Both loaders start at the global sample the checkpoint reached: with a different number of
        processes the run continues through the same data stream (the effective batch changes)."""
        if ck is not None:
            for k, s in self.scalers.items():
                s.load_state_dict(ck.state["scalers"][k])
            self.samples_seen = int(ck.state["samples_seen"])
            self.balance.load(ck.state.get("balance"))
        kw: dict[str, Any] = dict(
            rank=self.info.rank,
            world_size=self.info.world_size,
            start_sample=self.samples_seen,
            pin_memory=self.device.type == "cuda",
        )
        d, seed = self.cfg.data, self.cfg.train.seed
        self.photos = make_loader(self.data.photos, d, seed=seed, stream=PHOTOS, **kw)
        self.paintings = make_loader(self.data.paintings, d, seed=seed, stream=PAINTINGS, **kw)
        neg = self.data.negatives
        self.negatives = None if neg is None else make_loader(neg, d, seed=seed, stream=NEGATIVES, **kw)
        refs = self.data.references
        views = d.style_views
        self.refs = reference_targets(self.feat_net, refs, self.style, self.device, views) if refs else None
        sx = self.data.sample_photos
        self.sample_x = sx[..., : _floor(sx.shape[-2], self.multiple), : _floor(sx.shape[-1], self.multiple)]
        self.sample_x = self.sample_x.to(self.device)

    def step(self, step: int) -> dict[str, Any]:
        """One G step then (once the adversarial term is on) D step(s); returns what to log."""
        tc = self.cfg.train
        gamma = self.cfg.loss.adversarial * _ramp(step, tc.adv_start, tc.adv_ramp)
        x, _ = next(self.photos)
        y, labels = next(self.paintings)
        dev = self.device
        x, y, labels = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True), labels.to(dev)
        # drawn every step, so the stream stays aligned with samples_seen across a resume
        neg = None if self.negatives is None else next(self.negatives)[0].to(dev, non_blocking=True)
        terms, loss_g, fakes = self._g_step(step, x, y, labels, gamma)
        if gamma > 0:
            terms |= self._d_step(x, y, labels, fakes, neg)
        self.samples_seen += self.images_per_step
        return (
            {f"loss/{k}": v for k, v in terms.items()}
            | self._steer(fakes[0], x)
            | {
                "loss/g": loss_g,
                "lr_g": self.optimizers["g"].param_groups[0]["lr"],
                "gamma": gamma,
            }
        )

    def state(self) -> dict[str, Any]:
        return {
            "samples_seen": self.samples_seen,
            "num_styles": self.num_styles,
            "style_names": self.data.style_names,
            "multiple": self.multiple,
            "world_size": self.info.world_size,
            "scalers": {k: s.state_dict() for k, s in self.scalers.items()},
            "balance": self.balance.state(),
        }

    def sample(self, path: Path) -> Path:
        """A grid with the EMA G on the fixed sample photos."""
        return style_samples(
            path, self.ema.model, self.nets.get("g_inv"), self.sample_x, self.cfg.train.mode, self.num_styles
        )

    # ------------------------------------------------------------------ the steps

    def weights(self, gamma: float) -> dict[str, float]:
        """Each term's weight: the adversarial one ramped in, the rest straight from ``LossCfg``."""
        lc = self.cfg.loss
        w = {"adversarial": gamma, "cycle": lc.cycle, "identity": lc.identity} | {
            k: float(getattr(lc, k)) for k in PERCEPTUAL_TERMS
        }
        return w | {"content": w["content"] * self.balance.factor}

    def _steer(self, fake: torch.Tensor, x: torch.Tensor) -> dict[str, float]:
        """With ``loss.ssim_target``: this batch's SSIM-Y moves the content weight (train/balance.py)."""
        if self.balance.target <= 0:
            return {}
        with torch.no_grad():
            s = float(losses.ssim_luma(fake.detach().float().clamp(0, 1), x).mean())
        self.balance.update(s)
        out = {"ssim": s, "content_factor": self.balance.factor}
        if self.cfg.loss.ssim_detail and set_detail_gain(self.nets["g"], self.balance.detail):
            out["detail"] = self.balance.detail
        return out

    def _autocast(self) -> AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _g_step(
        self, step: int, x: torch.Tensor, y: torch.Tensor, labels: torch.Tensor, gamma: float
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor, tuple[torch.Tensor, ...]]:
        """The generator step (D frozen: its weights need no gradient here)."""
        lc, mode, g, d = self.cfg.loss, self.cfg.train.mode, self.nets["g"], self.nets["d"]
        for m in self.discs:
            m.requires_grad_(False)
        terms: dict[str, torch.Tensor] = {}
        with self._autocast():
            if mode == "cycle":
                g_inv, d_inv = self.nets["g_inv"], self.nets["d_inv"]
                fake, fake_inv = g(x), g_inv(y)  # photo → painting, painting → photo
                terms["cycle"] = losses.cycle_loss(g_inv(fake), x) + losses.cycle_loss(g(fake_inv), y)
                if lc.identity > 0:  # an in-domain input should pass through unchanged
                    terms["identity"] = losses.identity_loss(g(y), y) + losses.identity_loss(g_inv(x), x)
                if gamma > 0:
                    kind = lc.adversarial_kind
                    terms["adversarial"] = losses.g_loss(kind, d(fake)) + losses.g_loss(kind, d_inv(fake_inv))
                fakes: tuple[torch.Tensor, ...] = (fake, fake_inv)
            else:
                style = nn.functional.one_hot(labels, self.num_styles).float() if mode == "multi" else None
                fake = lifted(g, x, style, self.cfg.train.render_lift)
                if gamma > 0:
                    terms["adversarial"] = losses.g_loss(lc.adversarial_kind, _judge(d, fake, labels))
                fakes = (fake,)
            # Perceptual terms (all modes; in cycle mode only where their weights are set).
            tgt = (
                pick_targets(self.refs, labels, self.cfg.train.seed, step, self.info.rank)
                if self.refs
                else None
            )
            with torch.autocast(self.device.type, enabled=False):
                images = (fake.float(), x, y)
                terms |= perceptual(lc, self.feat_net, images, tgt, self.style, self.content_taps)
            w = self.weights(gamma)
            loss_g = sum((w[k] * v for k, v in terms.items()), torch.zeros((), device=self.device))
        opt = self.optimizers["g"]
        opt.zero_grad(set_to_none=True)
        self.scalers["g"].scale(loss_g).backward()
        _step(opt, self.scalers["g"], self.gens, self.info, self.cfg.train.grad_clip)
        return terms, loss_g, fakes

    def _d_step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        labels: torch.Tensor,
        fakes: tuple[torch.Tensor, ...],
        negatives: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Discriminator step(s): real paintings vs this step's (detached) fakes and, with
        ``data.critic_negatives``, vs other traditions' paintings too."""
        lc = self.cfg.loss
        for m in self.discs:
            m.requires_grad_(True)
        opt = self.optimizers["d"]
        for _ in range(self.cfg.train.d_steps):
            with self._autocast():
                loss_d, r1 = _d_loss(
                    self.nets["d"], y, fakes[0].detach(), labels, lc.adversarial_kind, lc.r1, negatives
                )
                if len(fakes) > 1:  # cycle: the photo critic judges real photos vs paintings made photos
                    loss_d2, r1b = _d_loss(
                        self.nets["d_inv"], x, fakes[1].detach(), None, lc.adversarial_kind, lc.r1
                    )
                    loss_d, r1 = loss_d + loss_d2, r1 + r1b
                total_d = loss_d + 0.5 * lc.r1 * r1  # R1's γ/2 (Mescheder et al. 2018)
            opt.zero_grad(set_to_none=True)
            self.scalers["d"].scale(total_d).backward()
            _step(opt, self.scalers["d"], self.discs, self.info, self.cfg.train.grad_clip)
        out = {"d": loss_d.detach()}
        if lc.r1 > 0:
            out["r1"] = r1.detach()
        return out


# ------------------------------------------------------------------------------------ helpers


def _adam(groups: list[dict[str, Any]], lr: float, cfg: RunCfg) -> torch.optim.Optimizer:
    o = cfg.optim
    return torch.optim.AdamW(groups, lr=lr, betas=o.betas, weight_decay=o.weight_decay)


def _g_groups(gens: list[nn.Module], cfg: RunCfg) -> list[dict[str, Any]]:
    """The generators' parameter groups, each with its base rate ``lr0`` (the schedule scales it).

    With ``optim.lr_convs`` set, convolution weights (``*conv.weight``: a pretrained base's frozen
    or fine-tuned part) get that rate and everything else (the norm tables) ``lr_g``.
    """
    o = cfg.optim
    named = [(n, p) for m in gens for n, p in m.named_parameters()]
    if not o.lr_convs:
        return [{"params": [p for _, p in named], "lr0": o.lr_g}]
    convs = [p for n, p in named if n.endswith("conv.weight")]
    rest = [p for n, p in named if not n.endswith("conv.weight")]
    return [{"params": rest, "lr0": o.lr_g}, {"params": convs, "lr0": o.lr_convs, "lr": o.lr_convs}]


def _step(
    opt: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    mods: list[nn.Module],
    info: distributed.DistInfo,
    clip: float,
) -> None:
    """Average gradients over processes, unscale, clip, step."""
    params = [p for m in mods for p in m.parameters() if p.requires_grad]
    distributed.average_gradients(info, params)
    if clip > 0:
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(params, clip)
    scaler.step(opt)
    scaler.update()


def _judge(d: nn.Module, imgs: torch.Tensor, labels: torch.Tensor | None) -> Any:
    """Logits of ``d``; with one D per style each image goes to its style's D (concatenated)."""
    if not isinstance(d, nn.ModuleList) or labels is None:
        return d(imgs)
    outs = [d[int(k)](imgs[labels == k]) for k in labels.unique(sorted=True)]
    if isinstance(outs[0], torch.Tensor):
        return torch.cat(outs)
    return [torch.cat([o[i] for o in outs]) for i in range(len(outs[0]))]  # multiscale: per scale


def _d_loss(
    d: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    kind: str,
    r1_weight: float,
    negatives: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The critic's loss; with ``negatives`` (style mode) the fake side is half G's outputs and half
    the negatives, each against the same real logits, so the real term keeps its weight."""
    real = real.detach().requires_grad_(r1_weight > 0)
    real_logits = _judge(d, real, labels)
    loss = losses.d_loss(kind, real_logits, _judge(d, fake, labels))
    if negatives is not None:
        loss = 0.5 * (loss + losses.d_loss(kind, real_logits, d(negatives)))
    r1 = losses.r1_penalty(real_logits, real) if r1_weight > 0 else torch.zeros((), device=real.device)
    return loss, r1


def _ramp(step: int, start: int, ramp: int) -> float:
    if step < start:
        return 0.0
    return min(1.0, (step - start + 1) / ramp) if ramp else 1.0


def _floor(n: int, m: int) -> int:
    return max(m, n // m * m)
