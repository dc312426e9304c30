"""Letters stand off the picture behind them, not only off their own outline (issue 20, item 3).

Before: over grey frames a caption got light-grey letters with a grey-black rim, 1.4-1.6:1 against
the frame, and a subtitle coloured on a dark first frame kept its colours when the shot turned grey.
"""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.caption.compose import plan_caption
from huafeng.caption.palette import contrast
from huafeng.caption.subs import Cue
from huafeng.caption.subtitle import subtitled_frames
from huafeng.imageio import Image


def _grey(level: int, shape: tuple[int, int] = (240, 426), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(level, 12, (*shape, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("level", [20, 60, 110, 128, 160, 200, 240])
def test_fill_stands_off_a_grey_background(level: int) -> None:
    cap = plan_caption(_grey(level), "今天天气不错 nice day", region="bottom")
    bg = (level, level, level)
    assert contrast(cap.colors.fill, bg) >= 2.9
    assert contrast(cap.colors.fill, cap.colors.outline) >= 4.4


def test_subtitle_recoloured_when_the_shot_changes_under_it() -> None:
    frames = [Image(rgb=_grey(15, seed=i)) for i in range(4)] + [Image(rgb=_grey(150, seed=9))]
    cue = Cue(start=0.0, end=10.0, text="我们出去走走吧")
    out = list(subtitled_frames(iter(frames), [cue], 10.0, []))
    last = out[-1].rgb.astype(float).mean(axis=-1)
    changed = np.abs(last - frames[-1].rgb.astype(float).mean(axis=-1)) > 40
    assert changed.sum() > 200  # the text is there
    # the letters' core pixels (far from the grey) are readable against it: dark letters now
    lum = last[changed]
    assert (np.abs(lum - 150) > 70).mean() > 0.5
