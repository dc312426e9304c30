"""Temporal warping error: how much a stylized video flickers where the input does not move.

Reference: W.-S. Lai, J.-B. Huang, O. Wang, E. Shechtman, E. Yumer, M.-H. Yang, "Learning blind
video temporal consistency", ECCV 2018, eq. (10): for consecutive frames,

    E_warp(O_t, O_{t+1}) = Σ_p M_t(p) · ‖O_{t+1}(p) − Ô_t(p)‖² / Σ_p M_t(p),

where ``Ô_t`` is output frame ``t`` warped into frame ``t+1`` with the optical flow **of the input
video** and ``M_t`` masks out occluded pixels; the video's error is the mean over pairs. A
stylizer that paints every frame independently is penalised for texture that does not follow the
motion (the flicker users see), not for the motion itself.

Protocol (name ``warp_err_dis``): frames at the evaluation side (shorter side 256), RGB in [0, 1],
squared error averaged over the three channels. Flow: OpenCV's DIS optical flow (Kroeger et al.,
ECCV 2016; preset MEDIUM) on the input frames' luma — Lai et al. used FlowNet2, which we cannot
load offline, so values are comparable only with each other. Occlusion mask: forward–backward
consistency (Sundaram et al., ECCV 2010; the test Lai et al. use):
``|F + B(warped)|² ≤ 0.01 (|F|² + |B(warped)|²) + 0.5`` px², plus pixels that flow outside the
frame. Lower is better; 0 = perfectly consistent.

The flow, warp and occlusion test are the video pipeline's own (:mod:`huafeng.infer.flow`), so
the metric judges flicker exactly as ``huafeng video`` sees it; its ``flicker`` reports the L1
variant in grey levels, this module Lai et al.'s squared error in [0, 1] units.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from huafeng.eval.prep import EVAL_SIDE, pair_to_eval
from huafeng.eval.registry import Metric, MetricResult, register_metric
from huafeng.infer.flow import dis_flow, reliable_mask, warp

if TYPE_CHECKING:
    from huafeng.eval.gram import StyleReference


def pair_warping_error(out_a: np.ndarray, out_b: np.ndarray, in_a: np.ndarray, in_b: np.ndarray) -> float:
    """Masked mean squared error between output ``b`` and output ``a`` warped into frame ``b``."""
    back = dis_flow(in_b, in_a)  # for each pixel of frame b: where it came from in frame a
    mask = reliable_mask(back, dis_flow(in_a, in_b))
    if not mask.any():
        return float("nan")
    warped, _ = warp(out_a.astype(np.float32) / 255.0, back)
    diff = ((out_b.astype(np.float32) / 255.0 - warped) ** 2).mean(axis=2)
    return float(diff[mask].mean())


def warping_error(
    outputs: Sequence[np.ndarray], inputs: Sequence[np.ndarray], side: int = EVAL_SIDE
) -> tuple[float, list[float]]:
    """Mean over consecutive pairs (and the per-pair values) at the evaluation side."""
    if len(outputs) != len(inputs) or len(outputs) < 2:
        raise ValueError("the warping error needs the same number (>= 2) of output and input frames")
    pairs = [pair_to_eval(o, i, side) for o, i in zip(outputs, inputs, strict=True)]
    vals = [
        pair_warping_error(pairs[t][0], pairs[t + 1][0], pairs[t][1], pairs[t + 1][1])
        for t in range(len(pairs) - 1)
    ]
    finite = [v for v in vals if np.isfinite(v)]
    return (float(np.mean(finite)) if finite else float("nan")), vals


def pan_frames(rgb: np.ndarray, frames: int, shift: int, side: int) -> list[np.ndarray]:
    """A synthetic camera pan over one photo: ``frames`` square crops ``shift`` px apart.

    Used by the standard protocol when no video is given: real motion with a known, occlusion-free
    flow, so the error measures only the stylizer's flicker.
    """
    from huafeng.eval.prep import to_eval

    big = to_eval(rgb, side + shift * (frames - 1))
    top = (big.shape[0] - side) // 2
    return [np.ascontiguousarray(big[top : top + side, k * shift : k * shift + side]) for k in range(frames)]


@register_metric("warp_err_dis")
class WarpingError(Metric):
    """Temporal warping error of a stylized frame sequence (lower = less flicker)."""

    reference = "Lai et al., Learning blind video temporal consistency, ECCV 2018 (warping error, eq. 10)"
    protocol = (
        "consecutive frames at shorter side 256, RGB in [0,1], flow of the input frames by OpenCV DIS "
        "(MEDIUM), forward-backward occlusion mask, masked mean squared error, mean over pairs"
    )
    higher_is_better = False
    needs = frozenset({"content"})

    def evaluate(
        self,
        outputs: Sequence[np.ndarray],
        *,
        contents: Sequence[np.ndarray] | None = None,
        style: StyleReference | Sequence[np.ndarray] | None = None,
    ) -> MetricResult:
        self._check_needs(outputs, contents, style)
        assert contents is not None
        t0 = time.perf_counter()
        value, per_pair = warping_error(outputs, contents, self.side)
        return MetricResult(
            metric=self.name,
            value=value,
            std=float(np.nanstd(per_pair)),
            num_images=len(outputs),
            seconds=time.perf_counter() - t0,
            per_image=tuple(per_pair),
        )
