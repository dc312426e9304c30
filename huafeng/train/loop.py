"""The training loop: one function, top to bottom, every phase labelled (nanoGPT's ``train.py``).

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
in CycleGAN's reference code), then D, then the EMA of G. The step's randomness is a function of
``(seed, step, rank)`` and the data of ``(seed, global sample number)``, so a resumed run repeats an
uninterrupted one exactly (on CPU).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from huafeng import imageio, losses
from huafeng.config import RunCfg, to_dict, to_yaml
from huafeng.data import PAINTINGS, PHOTOS, build_data, make_loader
from huafeng.errors import InputError
from huafeng.train import checkpoint as ckpt_io
from huafeng.train import distributed
from huafeng.train.ema import EMA
from huafeng.train.precision import autocast_dtype


@dataclass
class TrainResult:
    """What a finished (or cleanly stopped) run produced."""

    checkpoint: Path
    """The final checkpoint's ``.safetensors`` (``load_generator`` / export take it)."""
    steps: int
    """Steps completed."""
    metrics: dict[str, float]
    """The last logged metrics (losses, learning rates)."""
    images_per_s: float
    """Training throughput over the run (photos per second, all processes), excluding I/O pauses."""
    out_dir: Path
    samples: list[Path] = field(default_factory=list)
    interrupted: bool = False
    """Stopped early by a signal (Ctrl-C, SIGTERM): the checkpoint is there to resume from."""


def train(
    cfg: RunCfg,
    out_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    stop_at: int | None = None,
    deadline_s: float | None = None,
    on_sample: Callable[[Path], None] | None = None,
) -> TrainResult:
    """Train ``cfg`` into ``out_dir`` (``config.yaml``, ``metrics.jsonl``, ``samples/``, ``checkpoints/``).

    ``resume`` continues from the newest complete checkpoint there. ``stop_at`` stops cleanly after
    that many steps, as an interrupt would, while the LR schedule still follows ``cfg.train.steps``;
    ``deadline_s`` does the same once this call has trained that many seconds (a time budget, as
    ``learn-style --minutes`` has). ``on_sample`` is called with each sample grid written.
    """
    tc, lc = cfg.train, cfg.loss
    out_dir = Path(out_dir)
    ckpt_dir = out_dir / "checkpoints"

    # ---- 1. processes, device, determinism -------------------------------------------------------
    info = distributed.setup(tc.device)
    device, main = info.device, info.is_main
    if tc.threads:
        torch.set_num_threads(tc.threads)
    # bf16 autocast where the hardware runs it natively (train/precision.py: 2x faster on a Xeon with
    # AMX, 35x *slower* on an AVX2-only CPU). The perceptual terms always run in fp32 (below): Gram
    # differences vanish in bf16.
    amp_dtype = autocast_dtype(tc.amp, device.type)
    autocast: AbstractContextManager[Any] = (
        torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else nullcontext()
    )
    if not resume and ckpt_io.find_latest(ckpt_dir) is not None:
        raise InputError(f"{out_dir}: already holds a run; resume it (--resume) or choose another folder")
    torch.manual_seed(tc.seed)  # same initial weights on every rank (and broadcast below anyway)

    # ---- 2. networks first (a typo in a model's kwargs fails before any image is read), then data --
    num_styles = len(cfg.data.style) if tc.mode == "multi" else 1
    nets = {k: m.to(device).train() for k, m in ckpt_io.build_networks(cfg, num_styles).items()}
    data = build_data(cfg)

    # ---- 3. EMA, optimisers, the frozen loss network ---------------------------------------------
    g, d = nets["g"], nets["d"]
    multiple = int(getattr(g, "multiple", 1))
    if cfg.data.crop_size % multiple:
        raise InputError(
            f"data.crop_size: {cfg.data.crop_size} is not a multiple of {multiple} "
            f"(required by generator {cfg.model.generator!r})"
        )
    for m in nets.values():
        distributed.broadcast_module(info, m)
    ema = EMA(g, tc.ema_decay)
    gens = [m for k, m in nets.items() if k.startswith("g")]
    discs = [m for k, m in nets.items() if k.startswith("d")]
    opt_g = _adam(_g_groups(gens, cfg), cfg.optim.lr_g, cfg)
    d_params = [p for m in discs for p in m.parameters()]
    opt_d = _adam([{"params": d_params, "lr0": cfg.optim.lr_d}], cfg.optim.lr_d, cfg)
    # fp16 needs loss scaling (its range underflows small gradients); bf16 and fp32 do not.
    scaler_g = torch.amp.GradScaler(device.type, enabled=amp_dtype is torch.float16)
    scaler_d = torch.amp.GradScaler(device.type, enabled=amp_dtype is torch.float16)
    style_taps = lc.style_taps or losses.STYLE_TAPS
    content_taps = lc.content_taps or losses.CONTENT_TAPS
    tap_weights = dict(zip(style_taps, lc.style_tap_weights, strict=True)) if lc.style_tap_weights else None
    needs_features = lc.content > 0 or lc.style > 0
    feat_net = (
        losses.MobileNetV2Features(tuple(dict.fromkeys((*style_taps, *content_taps)))).to(device)
        if needs_features
        else None
    )

    # ---- 4. resume: weights, optimiser moments, scalers, RNG, data position ----------------------
    start, samples_seen, prior_seconds = 0, 0, 0.0
    found = ckpt_io.find_latest(ckpt_dir) if resume else None
    if found is not None:
        ck = ckpt_io.load_checkpoint(found, device)
        if to_dict(ck.config.model) != to_dict(cfg.model):
            raise InputError(f"{found}: checkpoint was trained with a different model config; cannot resume")
        for name, m in {**nets, "g_ema": ema.model}.items():
            m.load_state_dict(ck.module_state(name))
        for name, opt in (("g", opt_g), ("d", opt_d)):
            lr0 = [grp["lr0"] for grp in opt.param_groups]  # the recipe's rates win on resume
            ckpt_io.restore_optimizer(ck, name, opt)
            for grp, r in zip(opt.param_groups, lr0, strict=True):
                grp["lr0"] = r
        scaler_g.load_state_dict(ck.state["scalers"]["g"])
        scaler_d.load_state_dict(ck.state["scalers"]["d"])
        ckpt_io.set_rng_state(ck.state["rng"], ck.tensors)
        start, samples_seen = ck.step, int(ck.state["samples_seen"])
        prior_seconds = float(ck.state.get("train_seconds", 0.0))

    # ---- 5. loaders, fixed style targets, logs ---------------------------------------------------
    # Both loaders start at the global sample the checkpoint reached: with a different number of
    # processes the run continues through the same data stream (the effective batch changes).
    loader_kw: dict[str, Any] = dict(
        rank=info.rank,
        world_size=info.world_size,
        start_sample=samples_seen,
        pin_memory=device.type == "cuda",
    )
    photos = make_loader(data.photos, cfg, stream=PHOTOS, **loader_kw)
    paintings = make_loader(data.paintings, cfg, stream=PAINTINGS, **loader_kw)
    refs = _reference_targets(feat_net, data.references, style_taps, device) if data.references else None
    sample_x = data.sample_photos[
        ...,
        : _floor(data.sample_photos.shape[-2], multiple),
        : _floor(data.sample_photos.shape[-1], multiple),
    ].to(device)
    metrics_path = out_dir / "metrics.jsonl"
    tb = None
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        imageio.atomic_write_bytes(out_dir / "config.yaml", to_yaml(cfg).encode())
        _truncate_metrics(metrics_path, start)  # a killed run may have logged past its checkpoint
        tb = _tensorboard(out_dir)
    batch_global = cfg.data.batch_size * info.world_size
    end = min(tc.steps, stop_at) if stop_at is not None else tc.steps
    stop = distributed.StopFlag()
    interrupted = False
    last: dict[str, float] = {}
    samples: list[Path] = []
    train_time, interval_t0, interval_steps = 0.0, time.perf_counter(), 0
    ckpt_path = found
    bar = _progress(progress and main)
    task = bar.add_task(cfg.name, total=tc.steps, completed=start, info="")

    # ---- 6. the loop -----------------------------------------------------------------------------
    with bar, stop:
        for step in range(start, end):
            t0 = time.perf_counter()
            # Schedules are pure functions of the step: nothing to save, nothing to drift on resume.
            lr_f = cfg.optim.lr_factor(step, tc.steps)
            for grp in (*opt_g.param_groups, *opt_d.param_groups):
                grp["lr"] = grp["lr0"] * lr_f
            gamma = lc.adversarial * _ramp(step, tc.adv_start, tc.adv_ramp)
            torch.manual_seed(_step_seed(tc.seed, step, info.rank))  # dropout, noise: repeatable per step

            # -- batch: photos x, paintings y with style labels (multi) --
            x, _ = next(photos)
            y, labels = next(paintings)
            x, y, labels = x.to(device, non_blocking=True), y.to(device, non_blocking=True), labels.to(device)
            style = nn.functional.one_hot(labels, num_styles).float() if tc.mode == "multi" else None

            # -- generator step (D frozen: its weights need no gradient here) --
            for m in discs:
                m.requires_grad_(False)
            terms: dict[str, torch.Tensor] = {}
            with autocast:
                if tc.mode == "cycle":
                    g_inv, d_inv = nets["g_inv"], nets["d_inv"]
                    fake = g(x)  # photo → painting
                    fake_inv = g_inv(y)  # painting → photo
                    terms["cycle"] = losses.cycle_loss(g_inv(fake), x) + losses.cycle_loss(g(fake_inv), y)
                    if lc.identity > 0:  # an in-domain input should pass through unchanged
                        terms["identity"] = losses.identity_loss(g(y), y) + losses.identity_loss(g_inv(x), x)
                    if gamma > 0:
                        terms["adversarial"] = losses.g_loss(lc.adversarial_kind, d(fake)) + losses.g_loss(
                            lc.adversarial_kind, d_inv(fake_inv)
                        )
                else:
                    fake = g(x, style) if style is not None else g(x)
                    if gamma > 0:
                        terms["adversarial"] = losses.g_loss(lc.adversarial_kind, _judge(d, fake, labels))
                # Perceptual terms (all modes; in cycle mode only where their weights are set).
                tgt = _pick_targets(refs, labels, tc.seed, step, info.rank) if refs else None
                with torch.autocast(device.type, enabled=False):
                    terms |= _perceptual(
                        cfg, feat_net, fake.float(), x, y, tgt, style_taps, content_taps, tap_weights
                    )
                weights = {
                    "adversarial": gamma,
                    "cycle": lc.cycle,
                    "identity": lc.identity,
                    "content": lc.content,
                    "style": lc.style,
                    "colour": lc.colour,
                    "tv": lc.tv,
                }
                loss_g = sum((weights[k] * v for k, v in terms.items()), torch.zeros((), device=device))
            opt_g.zero_grad(set_to_none=True)
            scaler_g.scale(loss_g).backward()
            _step(opt_g, scaler_g, gens, info, tc.grad_clip)

            # -- discriminator step(s): real paintings vs this step's (detached) fakes --
            if gamma > 0:
                for m in discs:
                    m.requires_grad_(True)
                for _ in range(tc.d_steps):
                    with autocast:
                        loss_d, r1 = _d_loss(d, y, fake.detach(), labels, lc.adversarial_kind, lc.r1)
                        if tc.mode == "cycle":  # the photo critic judges real photos vs paintings made photos
                            loss_d2, r1b = _d_loss(
                                nets["d_inv"], x, fake_inv.detach(), None, lc.adversarial_kind, lc.r1
                            )
                            loss_d, r1 = loss_d + loss_d2, r1 + r1b
                        total_d = loss_d + 0.5 * lc.r1 * r1  # R1's γ/2 (Mescheder et al. 2018)
                    opt_d.zero_grad(set_to_none=True)
                    scaler_d.scale(total_d).backward()
                    _step(opt_d, scaler_d, discs, info, tc.grad_clip)
                terms["d"] = loss_d.detach()
                if lc.r1 > 0:
                    terms["r1"] = r1.detach()

            # -- EMA of G: the exported model --
            ema.update(g, step)
            samples_seen += batch_global
            done = step + 1
            train_time += time.perf_counter() - t0
            interval_steps += 1

            # -- log (rank-averaged losses; every rank joins the all-reduce) --
            if done % tc.log_every == 0 or done == end:
                vals = {f"loss/{k}": float(v.detach()) for k, v in terms.items()} | {
                    "loss/g": float(loss_g.detach())
                }
                vals = distributed.average_scalars(info, vals)
                dt = time.perf_counter() - interval_t0
                last = {
                    "step": done,
                    **vals,
                    "lr_g": opt_g.param_groups[0]["lr"],
                    "gamma": gamma,
                    "img_per_s": interval_steps * batch_global / max(dt, 1e-9),
                }
                interval_t0, interval_steps = time.perf_counter(), 0
                if main:
                    with metrics_path.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(last) + "\n")
                    if tb is not None:
                        for k, v in last.items():
                            tb.add_scalar(k, v, done)
                bar.update(task, completed=done, info=_describe(last))
            else:
                bar.update(task, completed=done)

            # -- sample grid with the EMA G on the fixed photos --
            if main and ((tc.sample_every and done % tc.sample_every == 0) or done == end):
                samples.append(
                    _write_samples(
                        out_dir / "samples" / f"step-{done:07d}.png",
                        ema.model,
                        nets.get("g_inv"),
                        sample_x,
                        tc.mode,
                        num_styles,
                    )
                )
                if on_sample is not None:
                    on_sample(samples[-1])

            # -- checkpoint (barriers: every rank has finished the step; nobody races ahead) --
            interrupted = stop.requested(info)
            stopping = interrupted or (deadline_s is not None and train_time >= deadline_s)
            if (tc.checkpoint_every and done % tc.checkpoint_every == 0) or done == end or stopping:
                distributed.barrier(info)
                if main:
                    state = {
                        "samples_seen": samples_seen,
                        "config": to_dict(cfg),
                        "num_styles": num_styles,
                        "style_names": data.style_names,
                        "multiple": multiple,
                        "world_size": info.world_size,
                        "metrics": last,
                        "scalers": {"g": scaler_g.state_dict(), "d": scaler_d.state_dict()},
                        # For the model card: compute time summed over resumes, and where it ran.
                        "train_seconds": prior_seconds + train_time,
                        "hardware": hardware_line(
                            device, info.world_size, torch.get_num_threads(), amp_dtype
                        ),
                    }
                    ckpt_path = ckpt_io.save_checkpoint(
                        ckpt_dir,
                        done,
                        modules={**nets, "g_ema": ema.model},
                        optimizers={"g": opt_g, "d": opt_d},
                        state=state,
                        keep=tc.keep_checkpoints,
                    )
                distributed.barrier(info)
            if stopping:
                end = done
                break

    # ---- 7. wrap up ------------------------------------------------------------------------------
    if tb is not None:
        tb.close()
    distributed.cleanup(info)
    final = ckpt_path if ckpt_path is not None else ckpt_io.find_latest(ckpt_dir) or ckpt_dir
    return TrainResult(
        final, end, last, (end - start) * batch_global / max(train_time, 1e-9), out_dir, samples, interrupted
    )


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
) -> tuple[torch.Tensor, torch.Tensor]:
    real = real.detach().requires_grad_(r1_weight > 0)
    real_logits = _judge(d, real, labels)
    loss = losses.d_loss(kind, real_logits, _judge(d, fake, labels))
    r1 = losses.r1_penalty(real_logits, real) if r1_weight > 0 else torch.zeros((), device=real.device)
    return loss, r1


def _perceptual(
    cfg: RunCfg,
    net: nn.Module | None,
    fake: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    tgt: tuple[dict[str, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None,
    style_taps: tuple[str, ...],
    content_taps: tuple[str, ...],
    tap_weights: dict[str, float] | None,
) -> dict[str, torch.Tensor]:
    """Content, Gram style, colour and TV terms for ``fake`` (only those with a weight)."""
    lc, out = cfg.loss, {}
    if net is not None:
        with torch.no_grad():  # targets only: the photo's features and the paintings' Grams
            px = net(x) if lc.content > 0 else {}
            if lc.style > 0 and tgt is None:  # each photo's target is its paired painting crop
                py = net(y)
                grams = {t: losses.gram(py[t]) for t in style_taps}
            elif tgt is not None:
                grams = tgt[0]
        pf = net(fake)
        if lc.content > 0:  # relative: α means the same whatever the tap's activation scale
            out["content"] = losses.content_loss(
                {t: pf[t] for t in content_taps}, {t: px[t] for t in content_taps}, relative=True
            )
        if lc.style > 0:
            out["style"] = losses.style_loss(
                {t: pf[t] for t in style_taps}, grams, relative=True, layer_weights=tap_weights
            )
    if lc.colour > 0:
        out["colour"] = losses.color_loss(fake, y if tgt is None else tgt[1])
    if lc.tv > 0:
        out["tv"] = losses.tv_loss(fake)
    return out


Refs = list[list[tuple[dict[str, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]]]


@torch.no_grad()
def _reference_targets(
    net: nn.Module | None, refs: list[list[torch.Tensor]], taps: tuple[str, ...], device: torch.device
) -> Refs:
    """Grams and colour statistics of each whole reference painting, computed once."""
    out: Refs = []
    for group in refs:
        items = []
        for img in group:
            img = img.to(device)
            feats = net(img) if net is not None else {}
            items.append(({t: losses.gram(feats[t]) for t in taps if t in feats}, losses.color_stats(img)))
        out.append(items)
    return out


def _pick_targets(
    refs: Refs, labels: torch.Tensor, seed: int, step: int, rank: int
) -> tuple[dict[str, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """One reference per sample (of that sample's style), drawn from ``(seed, step, rank)``."""
    rng = np.random.default_rng([seed, step, rank, 7])
    chosen = [refs[int(k)][int(rng.integers(len(refs[int(k)])))] for k in labels.tolist()]
    grams = {t: torch.cat([c[0][t] for c in chosen]) for t in chosen[0][0]}
    stats = (torch.cat([c[1][0] for c in chosen]), torch.cat([c[1][1] for c in chosen]))
    return grams, stats


def _ramp(step: int, start: int, ramp: int) -> float:
    if step < start:
        return 0.0
    return min(1.0, (step - start + 1) / ramp) if ramp else 1.0


def _step_seed(seed: int, step: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _floor(n: int, m: int) -> int:
    return max(m, n // m * m)


@torch.no_grad()
def _write_samples(
    path: Path, g: nn.Module, g_inv: nn.Module | None, x: torch.Tensor, mode: str, k: int
) -> Path:
    """Rows of ``photo | output`` (multi: one column per style; cycle: plus the reconstruction)."""
    g.eval()
    cols = [x]
    if mode == "multi":
        cols += [
            g(x, nn.functional.one_hot(torch.full((len(x),), i, device=x.device), k).float())
            for i in range(k)
        ]
    else:
        cols.append(g(x))
        if g_inv is not None:
            was = g_inv.training
            cols.append(g_inv.eval()(cols[-1]))
            g_inv.train(was)
    pad = 2
    grid = torch.ones(3, len(x) * (x.shape[2] + pad) - pad, len(cols) * (x.shape[3] + pad) - pad)
    for r in range(len(x)):
        for c, col in enumerate(cols):
            y0, x0 = r * (x.shape[2] + pad), c * (x.shape[3] + pad)
            grid[:, y0 : y0 + x.shape[2], x0 : x0 + x.shape[3]] = col[r].float().clamp(0, 1).cpu()
    rgb = imageio.from_float(grid.permute(1, 2, 0).numpy())
    return imageio.write_image(path, imageio.Image(rgb=rgb), overwrite=True)


def _truncate_metrics(path: Path, step: int) -> None:
    if not path.exists():
        return
    keep = [
        ln
        for ln in path.read_text(encoding="utf-8").splitlines()
        if ln.strip() and json.loads(ln).get("step", 0) <= step
    ]
    imageio.atomic_write_bytes(path, "".join(ln + "\n" for ln in keep).encode())


def _tensorboard(out_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # tensorboard is optional; metrics.jsonl is always written
        return None
    return SummaryWriter(str(out_dir / "tb"))


def _describe(m: dict[str, float]) -> str:
    parts = [f"{k.removeprefix('loss/')} {v:.3g}" for k, v in m.items() if k.startswith("loss/")]
    return " ".join(parts) + f" | {m.get('img_per_s', 0):.1f} img/s"


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        disable=not enabled,
    )


def hardware_line(device: torch.device, world_size: int, threads: int, amp: torch.dtype | None = None) -> str:
    """One line for the model card: what trained this model, so its minutes mean something."""
    import platform

    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    else:
        what = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    what = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        what = f"CPU {what}, {os.cpu_count()} cores, {threads} torch thread(s)"
    what += f", {str(amp).removeprefix('torch.')} autocast" if amp is not None else ", fp32"
    return f"{world_size} × {what}" if world_size > 1 else what
