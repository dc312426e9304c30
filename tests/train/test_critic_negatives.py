"""Critic negatives (``data.critic_negatives``): other traditions' paintings the critic calls fake."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from huafeng import losses
from huafeng.config import RunCfg, load_config
from huafeng.data import NEGATIVES, DataPlan, build_data, make_loader
from huafeng.errors import InputError
from huafeng.train.style_task import _d_loss
from tests.data.fakes import make_tree


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("neg"), styles=("mine", "theirs"), n_style=3, bad=False)


def _cfg(root: Path, *overrides: str) -> RunCfg:
    sizes = (
        "image_size=40",
        "style_size=40",
        "crop_size=32",
        "batch_size=2",
        "sample_size=32",
        "num_samples=2",
    )
    base = [f"data.root={root}", "data.style=[styles/mine]", *(f"data.{s}" for s in sizes)]
    return load_config(None, [*base, *overrides])


def test_negatives_are_their_own_stream(root: Path) -> None:
    """The negatives are listed apart from the paintings and load as crops; none without them."""
    cfg = _cfg(root, "data.critic_negatives=[styles/theirs]")
    data = build_data(cfg.data, DataPlan.of(cfg))
    assert {p.parent.name for p in data.paintings.paths} == {"mine"}
    assert data.negatives is not None and {p.parent.name for p in data.negatives.paths} == {"theirs"}
    batch, _ = next(make_loader(data.negatives, cfg.data, seed=0, stream=NEGATIVES))
    assert batch.shape == (2, 3, 32, 32)
    plain = _cfg(root)
    assert build_data(plain.data, DataPlan.of(plain)).negatives is None


def test_negatives_are_for_the_style_mode_only(root: Path) -> None:
    with pytest.raises(InputError, match="critic_negatives"):
        _cfg(root, "data.critic_negatives=[styles/theirs]", "train.mode=cycle", "loss.adversarial=1")
    with pytest.raises(InputError, match="not found"):
        cfg = _cfg(root, "data.critic_negatives=[styles/nowhere]")
        build_data(cfg.data, DataPlan.of(cfg))


class _Mean(nn.Module):
    """A stand-in critic: one logit per image, its mean brightness."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(1, 2, 3))


def test_the_critic_loss_counts_negatives_as_fakes() -> None:
    """Half G's fakes, half the negatives, against the same real logits: a negative the critic
    calls real raises its loss, one it calls fake lowers it."""
    d, real, fake = _Mean(), torch.full((2, 3, 4, 4), 0.9), torch.full((2, 3, 4, 4), 0.1)
    plain, _ = _d_loss(d, real, fake, None, "hinge", 0.0)
    assert float(plain) == pytest.approx(float(losses.d_loss("hinge", d(real), d(fake))))
    for level in (0.9, -0.9):
        neg = torch.full((2, 3, 4, 4), level)
        both, _ = _d_loss(d, real, fake, None, "hinge", 0.0, negatives=neg)
        want = 0.5 * (plain + losses.d_loss("hinge", d(real), d(neg)))
        assert float(both) == pytest.approx(float(want))
    called_real, _ = _d_loss(d, real, fake, None, "hinge", 0.0, negatives=torch.full((2, 3, 4, 4), 0.9))
    called_fake, _ = _d_loss(d, real, fake, None, "hinge", 0.0, negatives=torch.full((2, 3, 4, 4), -0.9))
    assert float(called_real) > float(called_fake)
