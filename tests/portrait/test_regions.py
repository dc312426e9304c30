"""Region masks: coverage, nesting, feathering, and the engine blend they drive."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import Image
from huafeng.infer import StylizeOptions, Stylizer
from huafeng.portrait import (
    DetectOptions,
    Face,
    _mediapipe,
    detect_faces,
    face_mask,
    portrait_mask,
    region_mask,
    regions,
    with_portrait_mask,
)
from tests.portrait.conftest import needs_mediapipe


def _inscribed(box: tuple[int, int, int, int], shape: tuple[int, ...], scale: float = 0.45) -> np.ndarray:
    x, y, w, h = box
    e = np.zeros(shape[:2], np.uint8)
    cv2.ellipse(e, (x + w // 2, y + h // 2), (int(w * scale), int(h * scale)), 0, 0, 360, 1, -1)
    return e > 0


@pytest.mark.parametrize("backend", ["auto", "opencv"])
def test_face_mask_covers_every_detected_face(group: Image, backend: str) -> None:
    if backend == "auto" and not _mediapipe.available():
        pytest.skip("mediapipe not installed")
    det = detect_faces(group.rgb, DetectOptions(backend=backend))  # type: ignore[arg-type]
    m = region_mask(group.rgb, "face", det)
    assert m.dtype == np.float32 and m.shape == group.rgb.shape[:2]
    for face in det.faces:
        assert (m[_inscribed(face.box, m.shape)] > 0.5).mean() > 0.97
    assert m.mean() < 0.6  # faces, not the whole picture


@needs_mediapipe
def test_person_is_larger_than_face_and_background_is_its_complement(astronaut: Image) -> None:
    det = detect_faces(astronaut.rgb)
    face = region_mask(astronaut.rgb, "face", det)
    person = region_mask(astronaut.rgb, "person", det)
    background = region_mask(astronaut.rgb, "background", det)
    assert person.sum() > 3 * face.sum()
    assert (person >= face - 1e-6).all()  # the person includes the face
    np.testing.assert_allclose(background, 1.0 - person, atol=1e-6)
    assert region_mask(astronaut.rgb, "all").min() == 1.0


def test_feathering_is_monotone_and_grows_with_sigma() -> None:
    face = Face((60, 50, 80, 90), 1.0)  # no landmarks: the ellipse shape, convex
    masks = {s: face_mask((200, 200), [face], feather=s) for s in (2.0, 8.0)}
    for m in masks.values():
        cy, cx = np.unravel_index(int(np.argmax(m)), m.shape)
        for dy, dx in [(0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)]:
            ray = [
                m[cy + k * dy, cx + k * dx]
                for k in range(200)
                if 0 <= cy + k * dy < 200 and 0 <= cx + k * dx < 200
            ]
            assert np.all(np.diff(ray) <= 1e-5), "mask must fall off monotonically from the face"
    ramp = {s: int(((m > 0.01) & (m < 0.99)).sum()) for s, m in masks.items()}
    assert ramp[8.0] > 2 * ramp[2.0]


def test_face_strength_lowers_the_weight_on_faces_only(astronaut: Image) -> None:
    det = detect_faces(astronaut.rgb)
    pm = portrait_mask(astronaut.rgb, "all", 0.25)
    assert pm.faces == 1 and pm.mask is not None
    x, y, w, h = det.faces[0].box
    assert pm.mask[y + h // 2, x + w // 2] == pytest.approx(0.25, abs=0.02)
    assert pm.mask[-1, -1] == 1.0 and pm.mask[0, 0] == 1.0
    assert portrait_mask(astronaut.rgb).mask is None  # nothing asked: no detection, no mask


def test_region_face_without_faces_says_so(grey: np.ndarray) -> None:
    with pytest.raises(InputError, match="no face found"):
        region_mask(grey, "face")
    with pytest.raises(InputError, match="unknown region"):
        region_mask(grey, "hair")
    with pytest.raises(InputError, match="between 0 and 1"):
        portrait_mask(grey, "all", 1.5)
    assert portrait_mask(grey, "all", 0.3).mask is None  # nothing to protect: full style


def test_person_region_without_mediapipe_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, astronaut: Image
) -> None:
    monkeypatch.setattr(_mediapipe, "load", lambda: None)
    with pytest.raises(InputError, match=r"--region person.*huafeng\[faces\]"):
        region_mask(astronaut.rgb, "person")
    assert region_mask(astronaut.rgb, "face").max() == pytest.approx(1.0, abs=0.01)  # Haar ellipse


def test_engine_keeps_the_protected_face(astronaut: Image) -> None:
    small = astronaut.with_rgb(cv2.resize(astronaut.rgb, (160, 160), interpolation=cv2.INTER_AREA))
    opts, pm = with_portrait_mask(StylizeOptions(threads=1), small.rgb, "all", 0.0)
    assert pm.faces == 1 and isinstance(opts.mask, np.ndarray)
    out = Stylizer("default", threads=1).stylize(small, opts).rgb.astype(np.int16)
    diff = np.abs(out - small.rgb).mean(axis=2)
    core = regions.face_shape(detect_faces(small.rgb).faces[0], small.size) > 0.5
    assert diff[core].mean() < 2.0 < diff[~core].mean()


def test_user_mask_and_portrait_mask_multiply(astronaut: Image) -> None:
    h, w = astronaut.rgb.shape[:2]
    user = np.zeros((h, w), np.float32)
    user[:, : w // 2] = 1.0
    opts, _ = with_portrait_mask(StylizeOptions(mask=user, invert_mask=True), astronaut.rgb, "all", 0.5)
    assert isinstance(opts.mask, np.ndarray) and not opts.invert_mask
    assert opts.mask[:, : w // 2].max() == 0.0 and opts.mask[0, -1] == 1.0


def test_face_colour_keeps_the_faces_light_and_moves_towards_the_styles_colours(astronaut: Image) -> None:
    small = astronaut.with_rgb(cv2.resize(astronaut.rgb, (160, 160), interpolation=cv2.INTER_AREA))
    st = Stylizer("default", threads=1)
    plain = st.stylize(small, StylizeOptions(threads=1)).rgb
    out = regions.stylize_portrait(st, small, StylizeOptions(threads=1), face_color=True).rgb
    core = regions.face_shape(detect_faces(small.rgb).faces[0], small.size) > 0.5
    y = {
        k: cv2.cvtColor(v, cv2.COLOR_RGB2YCrCb).astype(int)
        for k, v in [("p", small.rgb), ("s", plain), ("o", out)]
    }
    luma_err = np.abs(y["o"][..., 0] - y["p"][..., 0])[core].mean()
    assert luma_err < 3.0 < np.abs(y["s"][..., 0] - y["p"][..., 0])[core].mean()  # the photo's light
    mean = {k: v[..., 1:][core].mean(0) for k, v in y.items()}
    # towards the style's colour cast (a bounded tint, test_face_colour.py), not a repaint
    assert np.abs(mean["o"] - mean["s"]).sum() < np.abs(mean["p"] - mean["s"]).sum()
    far = ~(regions.face_mask(small.size, detect_faces(small.rgb).faces) > 0)
    assert np.array_equal(out[far], plain[far])  # nothing changes away from the faces
