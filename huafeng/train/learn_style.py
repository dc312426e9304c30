"""``huafeng learn-style``: a user's own picture(s) as a trained style, in minutes on a laptop CPU.

Why it can be that fast: the pretrained painterly base (:mod:`huafeng.models.pretrained`) already
paints; a new style is one new row of its norm tables (990 numbers), started from the base style
whose outputs are closest by Gram (:mod:`huafeng.train.base_pick`) and fine-tuned with the usual
training loop — Gram and colour targets drawn from the given images, content, TV, and the
adversarial term once there are enough images for a critic not to memorise them. Arbitrary-style
networks (the peer's mode, AdaIN) are instant but generic; per-style training usually takes GPU
hours. This is in between: a trained style, while the user waits.

A run lives in the cache folder under a key of the images' bytes and the settings, so re-running the
same command after Ctrl-C or a kill continues from the last checkpoint instead of starting again.
The style is exported atomically into the user styles folder (or ``output``); nothing half-written
is ever left there, and a shipped style's name is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from huafeng.errors import InputError
from huafeng.train.learn_cfg import (  # noqa: F401  (re-exported: the CLI, API and tests use them here)
    BASES,
    COLOR_WEIGHT,
    CONTENT_WEIGHT,
    CRITICS,
    PALETTE_WEIGHT,
    RENDER_LIFT,
    LearnCfg,
)

MIN_SIDE = 128
MAX_IMAGES = 50
#: With fewer images a PatchGAN memorises them and its gradient only adds noise.
MIN_IMAGES_FOR_CRITIC = 4


def check_images(paths: Sequence[str | Path]) -> list[Path]:
    """Every given file decodes as a picture of at least ``MIN_SIDE`` px, or one clear line."""
    from huafeng.imageio import read_image

    files = [Path(p) for p in paths]
    if not files:
        raise InputError("give at least one image to learn the style from")
    if len(files) > MAX_IMAGES:
        raise InputError(f"{len(files)} images given; at most {MAX_IMAGES}")
    for p in files:
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        if p.stat().st_size == 0:
            raise InputError(f"{p}: empty file")
        img = read_image(p)  # InputError for non-images and truncated files
        if min(img.size) < MIN_SIDE:
            raise InputError(
                f"{p}: {img.size[0]}x{img.size[1]} is too small; need at least {MIN_SIDE} px a side"
            )
    return files


def default_photos() -> list[Path]:
    """Content photos for training when the user gives none: the bundled samples and scikit-image's."""
    import importlib.resources
    import importlib.util

    from huafeng.imageio import list_images

    found = list_images([Path(str(importlib.resources.files("huafeng").joinpath("assets", "samples")))])
    if importlib.util.find_spec("skimage") is not None:
        sk = Path(str(importlib.resources.files("skimage").joinpath("data")))
        for n in ("astronaut.png", "coffee.png", "motorcycle_left.png", "chelsea.png", "rocket.jpg"):
            if (sk / n).is_file():
                found.append(sk / n)
    return found


def run_key(images: Sequence[Path], photos: Sequence[Path], cfg: LearnCfg) -> str:
    h = hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode())
    for p in [*images, *photos]:
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def _recipe(
    name: str, images: list[Path], photos: list[Path], cfg: LearnCfg, steps: int, init: dict[str, Any]
) -> Any:
    from huafeng.config import from_dict

    judged = [Path(p) for p in cfg.critic_images] or images  # what the critic sees as real
    critic = len(judged) >= MIN_IMAGES_FOR_CRITIC and cfg.adversarial > 0
    side = max(cfg.crop + cfg.crop // 4, 160)
    return from_dict(
        {
            "name": name,
            "tradition": "user",
            "description": f"learnt from {len(images)} image(s) with huafeng learn-style",
            "license": "the licence of the images it was learnt from (the user's own)",
            "model": {
                "generator": BASES[cfg.base],
                "generator_kw": init,
                "discriminator": cfg.critic,
                "discriminator_kw": CRITICS[cfg.critic],
            },
            "loss": {
                "content": cfg.content_weight,
                "style": cfg.style_weight,
                "color": cfg.color_weight,
                "palette": cfg.palette_weight,
                "tv": cfg.tv_weight,
                "adversarial": cfg.adversarial if critic else 0.0,
                "style_target": "fixed",
                "style_scales": list(cfg.style_scales or (1.0,)),
                "ssim_target": cfg.ssim_target,
                "ssim_detail": bool(cfg.ssim_detail and cfg.render_lift),
            },
            "data": {
                "root": "/",
                "content": [str(p.resolve()) for p in photos],
                "style": [str(p.resolve()) for p in judged],
                # the Gram targets: the style images, also when the critic sees a wider collection
                "style_reference": [str(p.resolve()) for p in images] if cfg.critic_images else [],
                "critic_negatives": [str(Path(p).resolve()) for p in cfg.critic_negatives] if critic else [],
                "image_size": side,
                "style_size": cfg.style_side or side,
                "crop_size": cfg.crop,
                "crop_scale": [0.4, 1.0],
                "style_border": 0.02,
                "style_views": cfg.style_views,
                "batch_size": cfg.batch,
                "cache": True,
                "samples": [str(photos[0].resolve())],
                "num_samples": 1,
                "sample_size": 256,
            },
            # constant: a run extended to fill its time budget (train_for) continues seamlessly
            "optim": {"lr_g": cfg.lr, "lr_d": 2e-4, "betas": [0.5, 0.999], "schedule": "constant"},
            "train": {
                "mode": "style",
                "steps": steps,
                "seed": cfg.seed,
                "amp": "bf16",
                "threads": cfg.threads,
                "ema_decay": 0.98,
                "render_lift": cfg.render_lift,
                "adv_start": steps // 3 if critic else 0,
                "adv_ramp": max(1, steps // 6),
                "log_every": 10,
                "sample_every": max(10, steps // 6),
                "checkpoint_every": 25,
                "keep_checkpoints": 2,
            },
        }
    )


def plan_recipe(
    name: str, images: list[Path], photos: list[Path], cfg: LearnCfg, step: Callable[[str], None] = print
) -> Any:
    """The training recipe for a new style: the start (the arbitrary network's code of the images,
    or the closest multistyle row unless ``--from``) and a step count sized to ``cfg.minutes`` here."""
    init: dict[str, Any]
    if cfg.base == "arbitrary":
        from huafeng.imageio import read_image
        from huafeng.models.arbitrary import predict_code

        step("reading the style of the images")
        init = {"code": [round(float(c), 6) for c in predict_code([read_image(p).rgb for p in images])]}
        if cfg.render_lift and (cfg.learn_detail or cfg.ssim_detail or cfg.render_detail is not None):
            # steered (ssim_detail): a fixed amount the run sets, starting at the engine's 1
            detail = 1.0 if cfg.render_detail is None and cfg.ssim_detail else cfg.render_detail
            init |= {"detail": detail, "learn_detail": cfg.learn_detail}
    else:
        step("choosing the closest base style")
        init = {"init_styles": [cfg.from_style if cfg.from_style is not None else _closest(images, photos)]}
    step("measuring this machine's speed")
    return _recipe(name, images, photos, cfg, _steps_for(cfg, probe_seconds_per_step(cfg)), init)


def _steps_for(cfg: LearnCfg, seconds_per_step: float) -> int:
    return max(8, int(cfg.minutes * 60 / seconds_per_step))


def probe_seconds_per_step(cfg: LearnCfg) -> float:
    """Time two training-shaped steps (G + loss net forward/backward) on this machine.

    A projected critic costs about as much as the loss net again (a second frozen backbone pass
    in G's step, two more in D's), so it is timed too: planned without it, a run reached a third of
    its steps at the deadline and the critic, ramped in after the first third, barely trained. The
    PatchGAN is left out, as when the learn-style defaults were tuned (it is small next to the net).
    """
    import torch

    from huafeng import losses
    from huafeng.models.registries import DISCRIMINATORS, GENERATORS
    from huafeng.train.precision import autocast_dtype

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dtype = autocast_dtype("bf16", "cpu")  # what the loop will use for the recipe's amp: bf16
    g = GENERATORS.build(BASES[cfg.base])
    net = losses.MobileNetV2Features(losses.STYLE_TAPS).eval()
    d = DISCRIMINATORS.build(cfg.critic, **CRITICS[cfg.critic]) if cfg.critic != "patch" else None
    x = torch.rand(cfg.batch, 3, cfg.crop, cfg.crop)
    amp = functools.partial(torch.autocast, "cpu", dtype=dtype or torch.float32, enabled=dtype is not None)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        with amp():
            y = g(x)
            judged = [] if d is None else d(y)
        loss = sum(v.mean() for v in net(y.float()).values()) + sum(o.float().mean() for o in judged)
        loss.backward()  # type: ignore[union-attr]
        if d is not None:
            shown = [x, y.detach()] + [x] * bool(cfg.critic_negatives)  # negatives: one more batch
            with amp():
                sum(o.float().mean() for o in d(torch.cat(shown))).backward()
        times.append(time.perf_counter() - t0)
    return 1.15 * min(times[1:])  # data loading, Gram targets and the optimiser step on top


def learn_style(
    images: Sequence[str | Path],
    *,
    name: str,
    cfg: LearnCfg | None = None,
    output: str | Path | None = None,
    photos: Sequence[str | Path] = (),
    preview: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    work_dir: str | Path | None = None,
    step: Callable[[str], None] = lambda msg: None,
) -> Any:
    """Learn a style from ``images``; returns the new :class:`~huafeng.infer.styles.StyleInfo`.

    ``output``: the ``.onnx`` to write (default ``<user styles folder>/<name>.onnx``). ``photos``:
    content photos to train on (default :func:`default_photos`). Re-running with the same images
    and settings resumes the interrupted run.
    """
    from huafeng.infer.styles import check_new_style_name, load_style_file, user_styles_dir
    from huafeng.train.checkpoint import find_latest

    cfg = cfg or LearnCfg()
    check_new_style_name(name)
    out = Path(output) if output is not None else user_styles_dir() / f"{name}.onnx"
    if out.suffix.lower() != ".onnx":
        raise InputError(f"{out}: the output must be an .onnx file")
    if out.exists() and not overwrite:
        raise InputError(f"{out}: exists (pass --overwrite to replace it)")
    files = check_images(images)
    content = check_images(photos) if photos else default_photos()
    if not content:
        raise InputError("no content photos to train on; pass --photos DIR")
    run = Path(work_dir) if work_dir else _cache_dir() / f"{name}-{run_key(files, content, cfg)}"
    saved = run / "config.yaml"
    if saved.is_file() and find_latest(run / "checkpoints") is not None:
        from huafeng.config import load_config

        step("resuming the interrupted run")
        recipe = load_config(saved)
    else:
        recipe = plan_recipe(name, files, content, cfg, step)
    resume = find_latest(run / "checkpoints") is not None
    hook = (lambda grid: _copy_preview(grid, Path(preview))) if preview else None
    step(f"training {recipe.train.steps} steps (about {cfg.minutes:g} min)")
    res = train_for(recipe, run, cfg.minutes, resume=resume, progress=progress, on_sample=hook)
    if res.interrupted:
        raise InputError(f"stopped at step {res.steps}; run the same command again to continue")
    step(f"writing {out}")
    _export(run, out, name)
    style = load_style_file(out)
    if preview:
        _write_preview(style, content[0], Path(preview))
    return style


def learn(
    images: Sequence[str | Path],
    *,
    name: str,
    minutes: float = LearnCfg.minutes,
    output: str | Path | None = None,
    photos: Sequence[str | Path] = (),
    overwrite: bool = False,
    progress: bool = False,
    work_dir: str | Path | None = None,
    **settings: Any,
) -> Any:
    """``huafeng.learn_style(images, name=..., minutes=...)``: :func:`learn_style` with the
    :class:`LearnCfg` fields as keywords (``content_weight=``, ``base=`` …); returns the new style."""
    cfg = LearnCfg(minutes=minutes, **settings)
    return learn_style(images, name=name, cfg=cfg, output=output, photos=photos, overwrite=overwrite,
                       progress=progress, work_dir=work_dir)  # fmt: skip


def train_for(
    recipe: Any, run: Path, minutes: float, *, resume: bool, progress: bool, on_sample: Any = None
) -> Any:
    """Train ``recipe`` for about ``minutes`` of loop time.

    The step count from :func:`probe_seconds_per_step` is only an estimate (the loop measured up
    to 1.9x faster than the probe here), so a run that finishes early is extended by the steps the
    time left allows, at most twice. The schedule is constant, so an extension is seamless.
    """
    from dataclasses import replace

    from huafeng.train.checkpoint import load_checkpoint, resolve
    from huafeng.train.loop import train

    budget = minutes * 60
    res = train(recipe, run, resume=resume, progress=progress, deadline_s=budget * 1.05, on_sample=on_sample)
    for _ in range(2):
        used = float(load_checkpoint(resolve(run)).state.get("train_seconds", budget))
        if res.interrupted or res.steps < recipe.train.steps or used >= 0.9 * budget:
            break
        more = int(res.steps * (budget - used) / max(used, 1e-6))
        if more < 10:
            break
        recipe = replace(recipe, train=replace(recipe.train, steps=res.steps + more))
        left = (budget - used) * 1.05
        res = train(recipe, run, resume=True, progress=progress, deadline_s=left, on_sample=on_sample)
    return res


def _cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("huafeng")) / "learn-style"


def _closest(images: list[Path], photos: list[Path]) -> int:
    from huafeng.train.base_pick import pick_for_files

    return pick_for_files(photos, [images], border=0.02)[0]


def _export(run: Path, out: Path, name: str) -> None:
    """Checkpoint → ONNX with a card, written atomically (export_onnx writes temp + rename)."""
    from huafeng.train.export import export_checkpoint

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        export_checkpoint(run, out, name=name, tradition="user", overwrite=True)
    except OSError as e:
        raise InputError(f"{out}: could not write the style ({e.strerror or e})") from None


def _copy_preview(grid: Path, preview: Path) -> None:
    """The loop's latest sample grid (photo | stylized) as the preview, replaced atomically."""
    from huafeng.imageio import read_image, write_image

    write_image(preview, read_image(grid), overwrite=True)


def _write_preview(style: Any, photo: Path, preview: Path) -> None:
    from huafeng.imageio import read_image, resize, write_image
    from huafeng.infer import StylizeOptions, Stylizer

    img = read_image(photo)
    s = 384 / max(img.size)
    small = img.with_rgb(resize(img.rgb, (round(img.size[0] * s), round(img.size[1] * s))))
    write_image(preview, Stylizer(style).stylize(small, StylizeOptions()), overwrite=True)
