"""Every hostile image through the one reader: a correct picture or one clear line, fast, input intact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng import imageio
from huafeng.errors import ImageTooLargeError
from tests.reliability.cases import image_cases
from tests.reliability.conftest import Recorder, attempt, unchanged
from tests.reliability.corpus import Case, gif_bytes, png_bomb

CASES = image_cases()
SECONDS = 5.0  # per decode; the pytest-timeout below is the hard stop if something hangs


def _check_ok(case: Case, img: imageio.Image) -> None:
    h, w = img.rgb.shape[:2]
    assert img.rgb.dtype == np.uint8 and img.rgb.shape == (h, w, 3) and img.rgb.flags.c_contiguous
    assert img.alpha is None or img.alpha.shape == (h, w)
    if case.size is not None:
        assert (w, h) == case.size, f"{case.id}: decoded {w}x{h}, expected {case.size}"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_read_image(case: Case, tmp_path: Path, record: Recorder) -> None:
    path = tmp_path / case.filename
    path.write_bytes(case.make())
    with unchanged(path):
        res = attempt(lambda: imageio.read_image(path))
        frames = attempt(lambda: imageio.read_frames(path))
    assert res.seconds < SECONDS and frames.seconds < SECONDS
    if case.expect != "either":
        assert res.kind == case.expect, f"{case.id}: {res.kind} {res.message}"
    if res.kind == "ok":
        _check_ok(case, res.value)
    if frames.kind == "ok":
        assert frames.value, "read_frames returned no frames"
        for f in frames.value:
            assert f.rgb.dtype == np.uint8 and f.rgb.ndim == 3
    elif res.kind == "ok":  # the still decoded; the whole animation may only fail on a stated limit
        assert "frames" in frames.message or "too much" in frames.message or "truncated" in frames.message
    record(
        "images",
        case.id,
        res.kind,
        res.seconds,
        group=case.group,
        expect=case.expect,
        frames=frames.kind,
        message=res.message,
    )


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES), "duplicate case ids"


@pytest.mark.timeout(20)
def test_ten_thousand_frames_refused_by_count_not_memory(tmp_path: Path) -> None:
    path = tmp_path / "many.gif"
    path.write_bytes(gif_bytes(1, 1, 10000))
    res = attempt(lambda: imageio.read_frames(path))
    assert res.kind == "error" and "10000 frames" in res.message
    assert len(imageio.read_frames(path, max_frames=10000)) == 10000  # the limit is the only reason


@pytest.mark.timeout(20)
def test_real_bomb_under_a_lower_limit(tmp_path: Path) -> None:
    """A 4000×4000 all-zero PNG is ~20 KiB on disk and 48 MB decoded: refused before decoding."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(4000, 4000))
    assert path.stat().st_size < 100_000
    with pytest.raises(ImageTooLargeError, match="exceeds the limit"):
        imageio.read_image(path, max_pixels=1_000_000)


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "/etc/passwd", "/dev/null", "/dev/zero", "/proc/self/mem", "/", "nonexistent.jpg"],
)
def test_system_paths_as_images(name: str, record: Recorder) -> None:
    res = attempt(lambda: imageio.read_image(name))
    assert res.kind == "error"
    record("images", f"path:{name}", res.kind, res.seconds, group="path", expect="error", message=res.message)


def test_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    import os

    os.mkfifo(fifo)
    res = attempt(lambda: imageio.read_image(fifo))
    assert res.kind == "error"
