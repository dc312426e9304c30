"""Small generated image trees for fast tests (no decoding of 512 px JPEGs in the hot path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from huafeng import imageio


def smooth_image(rng: np.random.Generator, w: int, h: int, stripes: bool = False) -> np.ndarray:
    """A random smooth colour field (optionally striped, like a 'style'), uint8 HWC."""
    low = rng.uniform(0, 1, (4, 4, 3)).astype(np.float32)
    img = imageio.resize(low, (w, h))
    if stripes:
        yy, xx = np.mgrid[0:h, 0:w]
        img = img * (0.6 + 0.4 * (np.sin((xx + yy) * 0.8) > 0))[..., None]
    return imageio.from_float(np.clip(img, 0, 1))


def make_tree(
    root: Path,
    *,
    n_content: int = 6,
    styles: tuple[str, ...] = ("a", "b"),
    n_style: int = 4,
    bad: bool = True,
) -> Path:
    """``root/content/*.png`` and ``root/styles/<name>/*.png``, plus a corrupt ``content/zz_bad.jpg``."""
    rng = np.random.default_rng(123)
    (root / "content").mkdir(parents=True, exist_ok=True)
    for i in range(n_content):
        imageio.write_image(
            root / "content" / f"p{i:02d}.png", imageio.Image(rgb=smooth_image(rng, 56, 44)), overwrite=True
        )
    for s in styles:
        (root / "styles" / s).mkdir(parents=True, exist_ok=True)
        for i in range(n_style):
            imageio.write_image(
                root / "styles" / s / f"s{i:02d}.png",
                imageio.Image(rgb=smooth_image(rng, 48, 60, stripes=True)),
                overwrite=True,
            )
    if bad:
        (root / "content" / "zz_bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    return root
