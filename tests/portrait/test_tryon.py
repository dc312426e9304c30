"""Try-on: colour changes only inside the region's mask, and moves toward the asked colour."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import Image, to_float
from huafeng.portrait import detect_faces
from huafeng.portrait.regions import person_mask
from huafeng.portrait.tryon import TryOnOptions, clothes_mask, hair_mask, lips_mask, parse_color, try_on
from tests.portrait.conftest import needs_mediapipe

pytestmark = needs_mediapipe


def _lab(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(to_float(rgb), cv2.COLOR_RGB2Lab))


def _closer(before: np.ndarray, after: np.ndarray, where: np.ndarray, hex_colour: str) -> tuple[float, float]:
    target = _lab(np.array([[parse_color(hex_colour)]], np.uint8))[0, 0, 1:]
    d0 = np.linalg.norm(_lab(before)[where][:, 1:].mean(0) - target)
    d1 = np.linalg.norm(_lab(after)[where][:, 1:].mean(0) - target)
    return float(d0), float(d1)


def test_lips_change_only_inside_the_lip_mask(astronaut: Image) -> None:
    face = detect_faces(astronaut.rgb).faces[0]
    m = lips_mask(face, astronaut.size)
    out = try_on(astronaut, TryOnOptions(lips="#2060d0")).rgb
    assert np.array_equal(out[m == 0], astronaut.rgb[m == 0])
    assert 0 < (m > 0.5).sum() < 0.02 * m.size
    d0, d1 = _closer(astronaut.rgb, out, m > 0.5, "#2060d0")
    assert d1 < 0.5 * d0


def test_hair_changes_only_inside_the_hair_mask(astronaut: Image) -> None:
    face = detect_faces(astronaut.rgb).faces[0]
    m, why = hair_mask(astronaut.rgb, face, person_mask(astronaut.rgb, [face]))
    assert m is not None, why
    out = try_on(astronaut, TryOnOptions(hair="#7a3b2e")).rgb
    assert np.array_equal(out[m == 0], astronaut.rgb[m == 0])
    _, y, _, h = face.box
    assert m[: y + h // 3].sum() > m[y + h :].sum()  # hair is above the face, not on the suit
    d0, d1 = _closer(astronaut.rgb, out, m > 0.5, "#7a3b2e")
    assert d1 < d0


def test_clothes_pattern_from_an_image_stays_on_the_clothes(astronaut: Image, tmp_path: Path) -> None:
    from huafeng.imageio import write_image

    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[::8] = (20, 200, 40)
    pattern = write_image(tmp_path / "stripes.png", Image(stripes))
    face = detect_faces(astronaut.rgb).faces[0]
    person = person_mask(astronaut.rgb, [face])
    m, why = clothes_mask(astronaut.rgb, face, person, hair_mask(astronaut.rgb, face, person)[0])
    assert m is not None, why
    out = try_on(astronaut, TryOnOptions(clothes=str(pattern))).rgb
    unchanged = np.all(out == astronaut.rgb, axis=2)
    assert unchanged[m == 0].all()
    assert (~unchanged[m > 0.5]).mean() > 0.9
    assert m[: face.box[1] + face.box[3]].max() == 0.0  # nothing above the chin


def test_bad_try_on_requests() -> None:
    with pytest.raises(InputError, match="nothing to try on"):
        TryOnOptions()
    with pytest.raises(InputError, match="not a colour"):
        TryOnOptions(hair="reddish")
    assert parse_color("#c33") == (204, 51, 51) and parse_color("7a3b2e") == (122, 59, 46)


def test_no_face_and_missing_pattern(astronaut: Image, grey: np.ndarray) -> None:
    with pytest.raises(InputError, match="no face found"):
        try_on(Image(grey), TryOnOptions(lips="#c0392b"))
    with pytest.raises(InputError, match="not found"):
        try_on(astronaut, TryOnOptions(clothes="nowhere/pattern.png"))


def test_a_missing_region_is_a_note_and_the_others_still_apply(faces_dir: Path, tmp_path: Path) -> None:
    """Issue: on a portrait with no visible clothing the whole command failed, lips included."""
    from huafeng.imageio import read_image

    closeup = read_image(faces_dir / "stargan-v2_036619.jpg")  # a face filling the frame, no clothes
    closeup = closeup.with_rgb(cv2.resize(closeup.rgb, (512, 512), interpolation=cv2.INTER_AREA))
    stripes = np.zeros((32, 32, 3), np.uint8)
    stripes[::4] = 255
    from huafeng.imageio import write_image

    pattern = write_image(tmp_path / "p.png", Image(stripes))
    res = try_on(closeup, TryOnOptions(lips="#2060d0", clothes=str(pattern)))
    notes = res.info["notes"]
    assert isinstance(notes, list) and any("no clothing" in n for n in notes)
    face = detect_faces(closeup.rgb).faces[0]
    lips = lips_mask(face, closeup.size) > 0.5
    assert not np.array_equal(res.rgb[lips], closeup.rgb[lips])  # the lips were still done
    with pytest.raises(InputError, match="no clothing"):
        try_on(closeup, TryOnOptions(clothes=str(pattern)))  # nothing asked for was found


def test_hair_never_covers_the_neck_and_stays_connected(faces_dir: Path) -> None:
    """Issue: a hair colour covered the neck; one run left a smear on the dress."""
    from huafeng.imageio import read_image

    img = read_image(faces_dir / "deepface_img22.jpg")  # long blond hair beside a bare neck
    face = detect_faces(img.rgb).faces[0]
    person = person_mask(img.rgb, [face])
    hair, why = hair_mask(img.rgb, face, person)
    assert hair is not None, why
    lm = face.landmarks
    assert lm is not None
    x0, x1 = sorted((int(lm[172, 0]), int(lm[397, 0])))
    chin = int(lm[152, 1])
    neck = hair[chin + 5 : chin + int(0.5 * (lm[152, 1] - lm[10, 1])), x0:x1]
    assert neck.max() < 0.5  # the neck below the chin carries no hair
    n, _ = cv2.connectedComponents((hair > 0.5).astype(np.uint8))
    assert n - 1 <= 3  # hair is a few connected pieces around the head, not specks on the clothes
