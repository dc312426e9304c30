"""EMA: the warm-up schedule, the average itself, buffers copied not averaged, no gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from huafeng.train.ema import EMA


def test_decay_warms_up_towards_the_target() -> None:
    ema = EMA(nn.Linear(2, 2), decay=0.99)
    assert ema.decay_at(0) == pytest.approx(0.1)
    assert ema.decay_at(10) == pytest.approx(11 / 20)
    assert ema.decay_at(10_000) == 0.99


def test_update_is_an_exponential_average_and_copies_buffers() -> None:
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
    with torch.no_grad():
        model[0].weight.fill_(0.0)
    ema = EMA(model, decay=0.5)
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[1].running_mean.fill_(7.0)
    ema.update(model, step=1_000)  # decay 0.5 after the warm-up
    assert float(ema.model[0].weight) == pytest.approx(0.5)
    assert float(ema.model[1].running_mean) == 7.0  # statistics are copied, not averaged
    ema.update(model, step=1_000)
    assert float(ema.model[0].weight) == pytest.approx(0.75)
    assert not any(p.requires_grad for p in ema.model.parameters())
    assert not ema.model.training
