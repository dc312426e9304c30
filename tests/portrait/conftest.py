"""Portrait fixtures: real faces from ../shared/data/faces, detections cached per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.imageio import Image, read_image
from huafeng.portrait import _mediapipe

needs_mediapipe = pytest.mark.skipif(
    not _mediapipe.available(), reason="mediapipe 0.10.14 (the faces extra) is not installed"
)


@pytest.fixture(scope="session")
def faces_dir(shared_data: Path) -> Path:
    d = shared_data / "faces"
    if not d.is_dir():
        pytest.skip(f"no faces folder in {shared_data}")
    return d


def _load(faces_dir: Path, name: str, side: int | None = None) -> Image:
    img = read_image(faces_dir / name)
    if side is not None and max(img.size) > side:
        import cv2

        f = side / max(img.size)
        img = img.with_rgb(cv2.resize(img.rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA))
    return img


@pytest.fixture(scope="session")
def astronaut(faces_dir: Path) -> Image:
    """CC0 (scikit-image data): one frontal face, a full upper body."""
    return _load(faces_dir, "skimage_astronaut.jpg", 320)


@pytest.fixture(scope="session")
def group(faces_dir: Path) -> Image:
    """Several faces of different sizes."""
    return _load(faces_dir, "deepface_selfie-many-people.jpg", 400)


@pytest.fixture(scope="session")
def smiling(faces_dir: Path) -> Image:
    """A broad open smile: the expression driver."""
    return _load(faces_dir, "stargan-v2_006930.jpg", 320)


@pytest.fixture
def grey() -> np.ndarray:
    return np.full((200, 200, 3), 128, np.uint8)
