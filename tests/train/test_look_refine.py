"""The optional refinement of a look: trained with the pipeline, exported, stored, applied torch-free."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.imageio import Image, to_float
from huafeng.looks import ApplyOptions, Look, LookStore, apply_look_array
from huafeng.looks.lut import Lut3D, apply_lut, grid_points
from huafeng.train.look_refine import RefineCfg, refine_look


def _photos(n: int, seed: int) -> list[Image]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:48, 0:64]
    out = []
    for _ in range(n):
        c = rng.uniform(40, 220, 3)
        rgb = c + 30 * np.sin(x[..., None] / rng.uniform(3, 9) + rng.uniform(0, 6)) + (y[..., None] - 24)
        out.append(Image(rgb=np.clip(rgb, 0, 255).astype(np.uint8)))
    return out


@pytest.mark.slow  # ~5 s idle, 15 s on the shared 2-core box: torch, the perceptual net, ONNX export
def test_refine_trains_exports_and_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    from huafeng.imageio import write_image

    for i, im in enumerate(_photos(6, 1)):
        write_image(content / f"{i}.png", im)
    lut = Lut3D(np.clip(grid_points(9) * [1.0, 0.95, 0.8], 0, 1))
    look = Look("warm", lut)
    onnx_path = refine_look(
        look, _photos(5, 2), content, tmp_path / "r.onnx", RefineCfg(steps=4, crop=32, width=8, max_delta=0.1)
    )
    assert onnx_path.is_file() and onnx_path.stat().st_size < 500_000

    monkeypatch.setenv("HUAFENG_LOOKS_DIR", str(tmp_path / "looks"))
    store = LookStore()
    from dataclasses import replace

    store.save(replace(look, refine=onnx_path))
    stored = store.get("warm")
    assert stored.refine is not None and stored.refine.name == "refine.onnx"
    img = _photos(1, 3)[0].rgb
    graded = apply_lut(to_float(img), lut)
    refined = to_float(apply_look_array(img, stored))
    plain = to_float(apply_look_array(img, stored, ApplyOptions(refine=False)))
    assert np.abs(plain - graded).max() <= 1 / 255 + 1e-6
    # the network may only nudge the graded photo: max_delta bounds every channel
    assert np.abs(refined - graded).max() <= 0.1 + 2 / 255
