"""A service on a temporary data folder, and small encoded test images."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx (dev extra)")

from fastapi.testclient import TestClient

from huafeng.imageio import Image, encode_image
from huafeng.serve.app import create_app
from huafeng.serve.settings import ServeSettings

BASE = "http://127.0.0.1"


def photo_bytes(w: int = 96, h: int = 64, fmt: str = "JPEG", seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 128)], -1).astype(np.uint8)
    rgb = np.clip(rgb.astype(int) + rng.integers(-20, 20, rgb.shape), 0, 255).astype(np.uint8)
    return encode_image(Image(rgb=rgb), fmt)


def settings(tmp: Path, **kw: object) -> ServeSettings:
    base: dict[str, object] = {
        "data_dir": tmp,
        "workers": 1,
        "queue_size": 2,
        "max_upload_bytes": 2 * 1024 * 1024,
    }
    base.update(kw)
    return ServeSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path)), base_url=BASE) as c:
        yield c
