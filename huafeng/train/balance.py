"""Steer the content weight so a style keeps a set amount of the photo (``loss.ssim_target``).

Why: one content weight keeps very different amounts of the photo from one painting to the next.
At learn-style's 2.5 the tuning paintings ended between SSIM-Y 0.63 and 0.72 and the Great Wave at
0.68, while the peer sits near 0.55-0.62: where a painting leaves SSIM to spare, the weight could
have bought style with it; where it leaves none, it could not. With a target, the run measures SSIM-Y
of its own outputs against their photos on every training batch (an exponential average) and moves
the content weight's factor multiplicatively: down while the outputs keep more of the photo than the
target, up while they keep less. It reads only the training batch — never a held-out photo, never
the grading backbone.

With ``loss.ssim_detail`` the factor, capped at 1, is also the amount of the photo's fine detail that
the render lift adds back (``huafeng.render_detail``). Session 14: on a painting with a flat ground
(Sharaku's actor portrait) the lifted detail alone kept SSIM far above the target at any content
weight while the Gram stalled; learning the amount by gradient instead (``learn_detail``) cut it on a
sparse fan too, below the peer's SSIM, where no content weight could bring it back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: Per step, the factor's log moves by RATE × (target − SSIM average); 0.05 of SSIM halves or
#: doubles it in about 70 steps (learn-style runs 500-600 steps in 4 minutes here).
RATE = 0.2
#: Steps before the factor moves (the average needs a few batches), and its averaging weight.
WARMUP = 10
AVERAGE = 0.9
#: The factor stays within these bounds, so the target cannot erase the photo or the style.
LOW, HIGH = 0.25, 2.0


@dataclass
class ContentBalance:
    """The content weight's factor and the SSIM-Y average it follows; checkpointed with the run."""

    target: float
    log_factor: float = 0.0
    average: float | None = None
    seen: int = 0

    @property
    def factor(self) -> float:
        """What the content weight is multiplied by (1 without a target)."""
        return math.exp(self.log_factor) if self.target > 0 else 1.0

    @property
    def detail(self) -> float:
        """The lifted-detail amount for ``loss.ssim_detail``: the factor, at most the engine's 1."""
        return min(1.0, self.factor)

    def update(self, ssim: float) -> None:
        """Fold one batch's SSIM-Y in and move the factor toward the target."""
        if self.target <= 0 or not math.isfinite(ssim):
            return
        self.average = ssim if self.average is None else AVERAGE * self.average + (1 - AVERAGE) * ssim
        self.seen += 1
        if self.seen > WARMUP:
            moved = self.log_factor + RATE * (self.target - self.average)
            self.log_factor = min(math.log(HIGH), max(math.log(LOW), moved))

    def state(self) -> dict[str, Any]:
        return {"log_factor": self.log_factor, "average": self.average, "seen": self.seen}

    def load(self, state: dict[str, Any] | None) -> None:
        """Restore from a checkpoint (one written before ``ssim_target`` existed carries none)."""
        if state:
            self.log_factor = float(state["log_factor"])
            self.average = None if state["average"] is None else float(state["average"])
            self.seen = int(state["seen"])
