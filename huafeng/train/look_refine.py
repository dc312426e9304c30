"""Optional GAN refinement of a learnt look: what a LUT cannot express (local contrast, skin
smoothing, halation, texture), trained with the ordinary pipeline in a few hundred CPU steps.

Setup: ``style`` mode of :func:`huafeng.train.loop.train` with the tiny ``residual_mobile``
generator, which starts as the exact identity and learns a bounded residual (an ordinary
generator from random weights needs thousands of steps before it even reproduces the photo).
Its inputs are ordinary photos *already graded by the look's LUT*, its targets the look's photos
(Gram + Lab colour statistics + a small PatchGAN), and a content term keeps the picture. At
apply time the torch-free path runs LUT → this network (ONNX).

The photos are written, downsized, to a temporary folder because the pipeline trains on
folders; nothing is kept but the ONNX file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from huafeng.config import from_dict
from huafeng.errors import InputError
from huafeng.imageio import Image, from_float, list_images, read_image, resize, to_float, write_image
from huafeng.looks.look import Look
from huafeng.looks.lut import apply_lut

#: Short side the training photos are stored at (crops of ``crop`` px are taken from them).
_SIDE = 160


@dataclass(frozen=True)
class RefineCfg:
    steps: int = 300  # ~1-2 min on one CPU thread; the residual is small, it converges fast
    crop: int = 96
    batch_size: int = 2
    width: int = 16  # generator channels: the ONNX file stays ~50 kB
    max_delta: float = 0.2  # largest change per channel the network may make to the graded photo
    content_photos: int = 48
    threads: int = 1
    seed: int = 0


def _small(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = _SIDE / min(h, w)
    return resize(rgb, (max(1, round(w * s)), max(1, round(h * s)))) if s < 1 else rgb


def _config(root: Path, name: str, cfg: RefineCfg) -> dict[str, object]:
    return {
        "name": f"look_{name}",
        "tradition": "look",
        "description": f"refinement network of the look {name!r} (applied after its LUT)",
        "license": "user data",
        "model": {
            "generator": "residual_mobile",
            "generator_kw": {"width": cfg.width, "n_blocks": 2, "expansion": 2, "max_delta": cfg.max_delta},
            "discriminator": "patch",
            "discriminator_kw": {"base_channels": 16, "n_layers": 2, "spectral_norm": True},
        },
        "loss": {"content": 2.0, "style": 2.0, "color": 5.0, "tv": 0.0, "adversarial": 0.05},
        "data": {
            "root": str(root),
            "content": ["content"],
            "style": ["look"],
            "image_size": _SIDE,
            "style_size": _SIDE,
            "crop_size": cfg.crop,
            "batch_size": cfg.batch_size,
            "cache": True,
            "num_samples": 2,
            "sample_size": cfg.crop,
        },
        "optim": {"lr_g": 5e-4, "lr_d": 2e-4, "betas": [0.5, 0.999]},
        "train": {
            "mode": "style",
            "steps": cfg.steps,
            "seed": cfg.seed,
            "device": "cpu",
            "threads": cfg.threads,
            "ema_decay": 0.99,
            "adv_start": cfg.steps // 3,
            "log_every": max(1, cfg.steps // 10),
            "sample_every": cfg.steps,
            "checkpoint_every": cfg.steps,
            "keep_checkpoints": 1,
        },
    }


def refine_look(
    look: Look,
    look_photos: list[Image],
    content_dir: str | os.PathLike[str],
    out_onnx: str | os.PathLike[str],
    cfg: RefineCfg | None = None,
    *,
    progress: bool = False,
) -> Path:
    """Train the refinement for ``look`` and export it to ``out_onnx``; returns that path."""
    from huafeng.train.export import export_checkpoint
    from huafeng.train.loop import train

    cfg = cfg or RefineCfg()
    ordinary = list_images([content_dir]) if Path(content_dir).is_dir() else []
    if len(ordinary) < 4:
        raise InputError(f"{content_dir}: --refine needs a folder of ordinary photos (--content)")
    step = max(1, len(ordinary) // cfg.content_photos)
    with tempfile.TemporaryDirectory(prefix="huafeng-look-") as tmp:
        root = Path(tmp)
        for i, p in enumerate(ordinary[::step][: cfg.content_photos]):
            try:
                rgb = _small(read_image(p).rgb)
            except InputError:
                continue
            graded = from_float(apply_lut(to_float(rgb), look.lut))
            write_image(root / "content" / f"{i:04d}.png", Image(rgb=graded))
        for i, im in enumerate(look_photos):
            write_image(root / "look" / f"{i:04d}.png", Image(rgb=_small(im.rgb)))
        run = root / "run"
        train(from_dict(_config(root, look.name, cfg)), run, progress=progress)
        tmp_onnx = root / "refine.onnx"
        export_checkpoint(run, tmp_onnx, name=f"look_{look.name}", tradition="look")
        out = Path(out_onnx)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_onnx, out)
    return out
