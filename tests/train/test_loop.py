"""CPU smoke runs of every mode: checkpoint, sample grid and metrics written, losses moving."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from huafeng import imageio
from huafeng.config import RunCfg
from huafeng.errors import InputError
from huafeng.train.checkpoint import load_checkpoint, load_generator
from huafeng.train.loop import train

MODES = {
    "style": [],
    "style_fixed": ["loss.style_target=fixed", "data.style_reference=[styles/a/s00.png, styles/a/s01.png]"],
    "multi": [
        "train.mode=multi",
        "data.style=[styles/a, styles/b]",
        "model.generator=multistyle",
        "model.generator_kw={base_channels: 8, n_blocks: 1}",
        "model.discriminator=multiscale",  # a list of logit maps per style's D
        "model.discriminator_kw={n_scales: 2, base_channels: 8, n_layers: 2}",
        "train.d_steps=2",
        "train.grad_clip=1.0",
    ],
    "cycle": [
        "train.mode=cycle",
        "model.generator_kw={width: 8, n_blocks: 1, expansion: 2, up_width: 8}",
        "loss.content=0",
        "loss.style=0",
        "loss.color=0",
        "loss.adversarial=1",
        "loss.r1=1",
        "loss.adversarial_kind=lsgan",
    ],
}


def _metrics(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("mode", list(MODES))
def test_smoke_run_each_mode(mode: str, tiny_cfg: Callable[..., RunCfg], tmp_path: Path) -> None:
    cfg = tiny_cfg("train.steps=6", "train.sample_every=3", "train.checkpoint_every=3", *MODES[mode])
    res = train(cfg, tmp_path / "run", progress=False)

    assert res.steps == 6 and res.checkpoint.name == "model-0000006.safetensors" and res.images_per_s > 0
    rows = _metrics(tmp_path / "run")
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(math.isfinite(v) for r in rows for v in r.values())
    assert rows[0]["gamma"] == 0 and rows[-1]["gamma"] > 0 and "loss/d" in rows[-1]  # adv_start: 1
    key = "loss/cycle" if mode == "cycle" else "loss/style"
    assert rows[-1][key] < rows[0][key]  # the main G objective moved the right way

    grid = imageio.read_image(tmp_path / "run" / "samples" / "step-0000006.png").rgb
    cols = {"multi": 3, "cycle": 3}.get(mode, 2)  # photo | output(s)
    assert grid.shape == (2 * 32 + 2, cols * 32 + (cols - 1) * 2, 3)
    assert (tmp_path / "run" / "samples" / "step-0000003.png").exists()
    assert (tmp_path / "run" / "config.yaml").exists()

    # The exported generator is the EMA one and it changed during training.
    g, loaded_cfg = load_generator(res.checkpoint)
    assert loaded_cfg == cfg and not g.training
    ck = load_checkpoint(res.checkpoint)
    assert ck.state["samples_seen"] == 6 * cfg.data.batch_size and ck.state["num_styles"] == (
        2 if mode == "multi" else 1
    )
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        y = g(x, torch.tensor([[1.0, 0.0]])) if mode == "multi" else g(x)
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1


def test_refuses_to_overwrite_a_run(tiny_cfg: Callable[..., RunCfg], tmp_path: Path) -> None:
    cfg = tiny_cfg("train.steps=2")
    train(cfg, tmp_path, progress=False)
    with pytest.raises(InputError, match="already holds a run; resume it"):
        train(cfg, tmp_path, progress=False)


def test_crop_must_fit_generator_multiple(tiny_cfg: Callable[..., RunCfg], tmp_path: Path) -> None:
    cfg = tiny_cfg("data.crop_size=30", "data.sample_size=30")
    with pytest.raises(InputError, match=r"data\.crop_size: 30 is not a multiple of 4"):
        train(cfg, tmp_path, progress=False)


def test_sample_grid_pixels_are_the_photo(tiny_cfg: Callable[..., RunCfg], tmp_path: Path) -> None:
    cfg = tiny_cfg("train.steps=1", "data.samples=[content/p03.png]", "data.num_samples=1")
    train(cfg, tmp_path, progress=False)
    grid = imageio.read_image(tmp_path / "samples" / "step-0000001.png").rgb
    photo = imageio.read_image(Path(cfg.data.root) / "content" / "p03.png").rgb
    from huafeng.data.transforms import center_crop, resize_short

    assert np.abs(grid[:, :32].astype(int) - center_crop(resize_short(photo, 32), 32).astype(int)).max() <= 1


def test_every_generator_loss_term_carries_gradient(tiny_cfg: Callable[..., RunCfg]) -> None:
    """A term computed under no_grad would silently not train: each must reach G's output."""
    from huafeng.losses import CONTENT_TAPS, STYLE_TAPS, MobileNetV2Features
    from huafeng.train.style_targets import StyleTaps
    from huafeng.train.terms import perceptual

    cfg = tiny_cfg("loss.content=1", "loss.style=1", "loss.color=1", "loss.tv=1")
    net = MobileNetV2Features((*STYLE_TAPS, *CONTENT_TAPS))
    fake = torch.rand(2, 3, 32, 32, requires_grad=True)
    x, y = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    terms = perceptual(
        cfg.loss, net, (fake, x, y), None, StyleTaps(STYLE_TAPS, None, (1.0, 0.5)), CONTENT_TAPS
    )
    assert set(terms) == {"content", "style", "color", "tv"}
    for name, t in terms.items():
        (grad,) = torch.autograd.grad(t, fake, retain_graph=True)
        assert grad.abs().sum() > 0, name
