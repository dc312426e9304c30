"""The portrait commands end to end: outputs written, bad input gets one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from huafeng import imageio
from huafeng.cli import main
from huafeng.imageio import Image
from huafeng.portrait import detect_faces
from tests.portrait.conftest import needs_mediapipe


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), cap.out, cap.err


@pytest.fixture
def portrait(tmp_path: Path, astronaut: Image) -> Path:
    small = cv2.resize(astronaut.rgb, (224, 224), interpolation=cv2.INTER_AREA)  # keep the CLI runs quick
    return imageio.write_image(tmp_path / "me.png", astronaut.with_rgb(small))


@needs_mediapipe
def test_stylize_region_and_face_strength(
    portrait: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "bg.png"
    code, _, err = run(
        ["stylize", str(portrait), "--region", "background", "--threads", "1", "-o", str(dst)], capsys
    )
    assert code == 0, err
    before, after = imageio.read_image(portrait).rgb, imageio.read_image(dst).rgb
    x, y, w, h = detect_faces(before).faces[0].box
    sl = np.s_[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
    centre = np.abs(after[sl].astype(int) - before[sl]).mean()  # the face
    corner = np.abs(after[:40, -40:].astype(int) - before[:40, -40:]).mean()  # the backdrop
    assert centre < 3.0 < corner
    args = ["stylize", str(portrait), "--face-color", "--face-strength", "0.5", "--threads", "1"]
    code, _, err = run([*args, "--max-size", "160", "-o", str(tmp_path / "fc.png")], capsys)
    assert code == 0 and imageio.read_image(tmp_path / "fc.png").size == (160, 160), err
    code, _, err = run(["stylize", str(portrait), "--region", "hair", "-o", str(tmp_path / "x.png")], capsys)
    assert code == 2 and "--region must be one of" in err


@needs_mediapipe
def test_tryon_and_expression_commands(
    portrait: Path, smiling: Image, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lips.png"
    code, _, err = run(["tryon", str(portrait), "--lips", "#c0392b", "-o", str(out)], capsys)
    assert code == 0 and out.exists(), err
    code, _, err = run(["tryon", str(portrait), "--lips", "#c0392b", "-o", str(out)], capsys)
    assert code == 2 and "already exists" in err
    gif = tmp_path / "smile.gif"
    driver = imageio.write_image(tmp_path / "driver.png", smiling)
    code, _, err = run(["expression", str(portrait), str(driver), "--frames", "4", "-o", str(gif)], capsys)
    assert code == 0, err
    with PILImage.open(gif) as im:
        assert im.n_frames == 4


def test_bad_inputs_get_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], grey: np.ndarray
) -> None:
    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    flat = imageio.write_image(tmp_path / "grey.png", Image(grey))
    bad_clip = tmp_path / "clip.mp4"
    bad_clip.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    cases = [
        (["tryon", str(corrupt), "--lips", "#c0392b", "-o", str(tmp_path / "a.png")], "broken.jpg"),
        (["tryon", str(flat), "--lips", "#c0392b", "-o", str(tmp_path / "b.png")], "no face found"),
        (["expression", str(flat), str(flat), "-o", str(tmp_path / "c.gif")], "no face found"),
        (["stylize", str(flat), "--region", "face", "-o", str(tmp_path / "d.png")], "no face found"),
        (["expression", str(flat), str(bad_clip), "-o", str(tmp_path / "e.gif")], "clip.mp4"),
    ]
    for args, needle in cases:
        code, _, err = run(args, capsys)
        assert code == 2, (args, err)
        assert needle in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
