"""Reading photos on several threads at once (batch stylization does) keeps the bomb guard clean."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image as PILImage

from huafeng.errors import ImageTooLargeError
from huafeng.imageio import read_image
from tests.reliability.corpus import jpeg_sof_claim


def _small_png() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _read(data: bytes) -> str:
    try:
        read_image(data)
    except ImageTooLargeError:
        return "too large"
    return "ok"


@pytest.mark.timeout(60)
def test_huge_headers_read_beside_small_photos_are_always_our_error() -> None:
    """Pillow's limit is a global we lift while opening; one thread putting it back while another
    opened a 65535² header made Pillow raise its own bomb error (an exit 1 in CI, not exit 2)."""
    huge, small = jpeg_sof_claim(65535, 65535), _small_png()
    jobs = [huge if i % 2 else small for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(_read, jobs))
    assert got == ["too large" if i % 2 else "ok" for i in range(400)]
    assert PILImage.MAX_IMAGE_PIXELS is not None  # the global is put back


def test_pillows_own_bomb_error_becomes_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever path lets Pillow raise its DecompressionBombError, the caller sees ImageTooLargeError."""

    def boom(*_a: object, **_k: object) -> None:
        raise PILImage.DecompressionBombError("Image size (4294836225 pixels) exceeds limit")

    monkeypatch.setattr(PILImage, "open", boom)
    with pytest.raises(ImageTooLargeError, match="exceeds limit"):
        read_image(_small_png())
