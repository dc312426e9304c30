"""Look fixtures: a known synthetic grade, small content photos, an isolated look store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.imageio import Image, list_images, read_image, to_float
from huafeng.looks.color import oklab_to_srgb, srgb_to_oklab
from huafeng.looks.fit import _small
from huafeng.looks.lut import Lut3D, grid_points


def known_grade(rgb: np.ndarray) -> np.ndarray:
    """A film-ish grade: S-curve on lightness, lifted blacks, teal shadows / warm highlights, +20 % chroma."""
    lab = srgb_to_oklab(rgb)
    lum = lab[..., 0]
    out = np.stack(
        [
            lum + 0.04 * np.sin(2 * np.pi * (lum - 0.5)) + 0.03,
            lab[..., 1] * 1.2 - 0.03 * (0.6 - lum),
            lab[..., 2] * 1.1 + 0.06 * (lum - 0.45),
        ],
        -1,
    )
    return oklab_to_srgb(out)


@pytest.fixture(scope="session")
def known_lut() -> Lut3D:
    return Lut3D(known_grade(grid_points(33)), title="known")


@pytest.fixture(scope="session")
def content_photos(shared_data: Path) -> list[Image]:
    """30 content photos (256 px) in a fixed shuffled order: 0-19 train, 20-29 held out."""
    paths = list_images([shared_data / "content"])
    order = np.random.default_rng(0).permutation(len(paths))
    out = []
    for i in order[:30]:
        rgb = _small(to_float(read_image(paths[i]).rgb), 256)
        out.append(Image(rgb=(rgb * 255 + 0.5).astype(np.uint8)))
    return out


@pytest.fixture
def looks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "looks"
    monkeypatch.setenv("HUAFENG_LOOKS_DIR", str(d))
    return d
