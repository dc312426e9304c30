"""Sample grids: rows of images written as one PNG with white gutters (what a run shows of itself)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from huafeng import imageio


@torch.no_grad()
def style_samples(
    path: Path, g: nn.Module, g_inv: nn.Module | None, x: torch.Tensor, mode: str, k: int
) -> Path:
    """Rows of ``photo | output`` (multi: one column per style; cycle: plus the reconstruction)."""
    g.eval()
    cols = [x]
    if mode == "multi":
        cols += [
            g(x, nn.functional.one_hot(torch.full((len(x),), i, device=x.device), k).float())
            for i in range(k)
        ]
    else:
        cols.append(g(x))
        if g_inv is not None:
            was = g_inv.training
            cols.append(g_inv.eval()(cols[-1]))
            g_inv.train(was)
    return write_grid(path, [list(c) for c in zip(*cols, strict=True)])


def write_grid(path: Path, rows: list[list[torch.Tensor]], pad: int = 2) -> Path:
    """Write rows of CHW images in [0, 1] (all one size) as a PNG grid with white gutters."""
    h, w = rows[0][0].shape[-2:]
    ncol = max(len(r) for r in rows)
    grid = torch.ones(3, len(rows) * (h + pad) - pad, ncol * (w + pad) - pad)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            y0, x0 = r * (h + pad), c * (w + pad)
            grid[:, y0 : y0 + h, x0 : x0 + w] = img.float().clamp(0, 1).cpu().expand(3, h, w)
    rgb = imageio.from_float(grid.permute(1, 2, 0).numpy())
    return imageio.write_image(path, imageio.Image(rgb=rgb), overwrite=True)
