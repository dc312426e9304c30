"""The content balance: the content weight's factor follows the SSIM-Y target, bounded, and resumes."""

from __future__ import annotations

import math

import pytest

from huafeng.config import LossCfg
from huafeng.errors import InputError
from huafeng.train.balance import HIGH, LOW, WARMUP, ContentBalance


def test_off_keeps_the_weight() -> None:
    b = ContentBalance(0.0)
    for _ in range(50):
        b.update(0.9)
    assert b.factor == 1.0 and b.average is None


def test_more_photo_than_the_target_lowers_the_weight_and_less_raises_it() -> None:
    high, low = ContentBalance(0.6), ContentBalance(0.6)
    for _ in range(WARMUP):
        high.update(0.8)
        low.update(0.4)
    assert high.factor == low.factor == 1.0  # nothing moves during the warm-up
    for _ in range(30):
        high.update(0.8)
        low.update(0.4)
    assert high.factor < 0.5 and low.factor > 1.5


def test_the_factor_is_bounded_and_ignores_nan() -> None:
    b = ContentBalance(0.5)
    for _ in range(2000):
        b.update(0.99)
    assert b.factor == pytest.approx(LOW)
    b.update(math.nan)
    assert b.factor == pytest.approx(LOW)
    for _ in range(4000):
        b.update(0.01)
    assert b.factor == pytest.approx(HIGH)


def test_state_round_trips() -> None:
    b = ContentBalance(0.6)
    for s in (0.7, 0.72, 0.69) * 10:
        b.update(s)
    c = ContentBalance(0.6)
    c.load(b.state())
    assert c.state() == b.state() and c.factor == b.factor
    c.load(None)  # a checkpoint from before the balance: unchanged
    assert c.factor == b.factor


def test_the_target_is_checked() -> None:
    with pytest.raises(InputError, match="ssim_target"):
        LossCfg(ssim_target=1.2)
