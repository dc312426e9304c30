"""stylize_files: results in input order, and one bad file is one failed row."""

from __future__ import annotations

from collections.abc import Callable
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


def test_small_photos_run_side_by_side_and_a_big_one_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a one-core transform, small photos overlap (two at a time), a photo over the limit
    runs with the all-core transform and never beside another, results stay in input order and a
    bad file is still one failed row."""
    import threading
    import time

    from huafeng.infer import files

    monkeypatch.setattr(files, "SIDE_BY_SIDE_MAX_PIXELS", 24 * 32)
    src = _photos(tmp_path, 6)
    imageio.write_image(src[3], Image(rgb=np.full((48, 64, 3), 30, np.uint8)), overwrite=True)  # "big"
    src[4].write_bytes(b"not an image")
    outs = [tmp_path / f"o{i}.png" for i in range(6)]
    lock = threading.Lock()
    running: list[int] = [0]
    log: list[tuple[str, int, int]] = []

    def tracked(kind: str) -> Callable[[Image], Image]:
        def fn(img: Image) -> Image:
            with lock:
                running[0] += 1
                log.append((kind, int(img.rgb[0, 0, 0]), running[0]))
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return img.with_rgb(255 - img.rgb)

        return fn

    results = list(
        stylize_files(zip(src, outs, strict=True), tracked("all"), side_by_side=tracked("one"), workers=2)
    )
    assert [r.input for r in results] == [str(p) for p in src]
    assert [r.ok for r in results] == [True, True, True, True, False, True]
    assert max(n for kind, _, n in log if kind == "one") == 2  # small ones overlapped
    assert [(kind, n) for kind, v, n in log if v == 30] == [("all", 1)]  # the big one: all cores, alone
    assert all(int(imageio.read_image(o).rgb[0, 0, 0]) == 255 - 10 * i for i, o in enumerate(outs) if i != 4)
