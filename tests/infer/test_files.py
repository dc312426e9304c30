"""stylize_files: results in input order, and one bad file is one failed row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng import imageio
from huafeng.errors import InputError
from huafeng.imageio import Image
from huafeng.infer.files import stylize_files


def _photos(folder: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        rgb = np.full((24, 32, 3), 10 * i, np.uint8)
        out.append(imageio.write_image(folder / f"p{i}.png", Image(rgb=rgb)))
    return out


def test_order_and_outputs(tmp_path: Path) -> None:
    src = _photos(tmp_path, 5)
    outs = [tmp_path / f"o{i}.png" for i in range(5)]
    seen: list[int] = []

    def invert(img: Image) -> Image:
        seen.append(int(img.rgb[0, 0, 0]))
        return img.with_rgb(255 - img.rgb)

    results = list(stylize_files(zip(src, outs, strict=True), invert))
    assert [r.input for r in results] == [str(p) for p in src] and all(r.ok for r in results)
    assert seen == [0, 10, 20, 30, 40]  # the transform runs in input order
    assert all(int(imageio.read_image(o).rgb[0, 0, 0]) == 255 - 10 * i for i, o in enumerate(outs))


def test_a_bad_file_is_one_failed_row(tmp_path: Path) -> None:
    src = _photos(tmp_path, 3)
    src[1].write_bytes(b"not an image")
    outs = [tmp_path / f"o{i}.png" for i in range(3)]
    results = list(stylize_files(zip(src, outs, strict=True), lambda im: im))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error and results[1].output is None and not outs[1].exists()
    with pytest.raises(InputError):
        list(
            stylize_files(
                zip(src, [tmp_path / f"x{i}.png" for i in range(3)], strict=True),
                lambda im: im,
                raise_errors=True,
            )
        )


def test_an_existing_output_is_refused_not_replaced(tmp_path: Path) -> None:
    src = _photos(tmp_path, 1)
    out = imageio.write_image(tmp_path / "o.png", Image(rgb=np.zeros((4, 4, 3), np.uint8)))
    (r,) = stylize_files([(src[0], out)], lambda im: im)
    assert not r.ok and "exists" in (r.error or "")
    assert imageio.read_image(out).size == (4, 4)
