"""Fast guided filter as a differentiable, ONNX-exportable upsampler.

He, Sun & Tang, "Guided Image Filtering" (ECCV 2010 / TPAMI 2013): inside every window the output
is a linear function of the guide, ``q = a·I + b``, with ``a = cov(I, p) / (var(I) + ε)``. He & Sun,
"Fast Guided Filter" (arXiv 2015) fit ``a, b`` at low resolution and upsample only the
coefficients, so edges come from the full-resolution guide while the expensive network ran at
low resolution; Wu et al., "Fast End-to-End Trainable Guided Filter" (CVPR 2018) showed the whole
thing trains end to end. That is designs D2/D3 of ``docs/notes/cpu-generator-latency.md``.

Box filters are separable ``AveragePool`` ops with ``count_include_pad=False`` (exact border
normalisation without the cumsum trick, which exports poorly), so the graph stays plain ONNX.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def box_filter(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2r+1)² window, normalised by the number of in-image pixels at the borders.

    Separable (row then column): O(r) per pixel instead of O(r²); since both passes exclude the
    padding, the product of the 1-D counts is exactly the 2-D in-image count.
    """
    k = 2 * radius + 1
    x = F.avg_pool2d(x, (1, k), stride=1, padding=(0, radius), count_include_pad=False)
    return F.avg_pool2d(x, (k, 1), stride=1, padding=(radius, 0), count_include_pad=False)


class FastGuidedFilter(nn.Module):
    """Upsample ``target_lo`` to the size of ``guide_hi``, snapping its edges to the guide's.

    ``guide`` has 1 channel or as many as ``target`` (per-channel filtering: each output channel
    follows its own input channel, which keeps colour edges). ``eps`` trades edge-following
    (small) against smoothness (large; ``eps → ∞`` is plain bilinear upsampling of a box-blurred
    target). Intensities are in [0, 1], so ``eps = 1e-2`` means "edges with a local contrast of
    about 0.1 or more are transferred", He et al.'s usual setting.
    """

    def __init__(self, radius: int = 2, eps: float = 1e-2) -> None:
        super().__init__()
        if radius < 1:
            raise ValueError(f"guided filter radius must be ≥ 1, got {radius}")
        self.radius = radius
        self.eps = eps

    def forward(
        self, guide_lo: torch.Tensor, target_lo: torch.Tensor, guide_hi: torch.Tensor
    ) -> torch.Tensor:
        r = self.radius
        mean_i = box_filter(guide_lo, r)
        mean_p = box_filter(target_lo, r)
        cov_ip = box_filter(guide_lo * target_lo, r) - mean_i * mean_p
        var_i = box_filter(guide_lo * guide_lo, r) - mean_i * mean_i
        a = cov_ip / (var_i + self.eps)
        b = mean_p - a * mean_i
        # Averaging a and b over the windows that cover each pixel (He 2013, eq. 8) before upsampling.
        mean_a = box_filter(a, r)
        mean_b = box_filter(b, r)
        size = guide_hi.shape[-2:]
        mean_a = F.interpolate(mean_a, size=size, mode="bilinear", align_corners=False)
        mean_b = F.interpolate(mean_b, size=size, mode="bilinear", align_corners=False)
        return mean_a * guide_hi + mean_b
