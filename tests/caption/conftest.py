"""Fixtures for caption tests: sample pictures and an OCR reader to check legibility."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pytest

from huafeng import imageio
from tests.conftest import SAMPLES


@pytest.fixture(scope="session")
def astronaut() -> imageio.Image:
    """512² photo with one frontal face at about (177, 66, 95, 95)."""
    return imageio.read_image(SAMPLES / "astronaut.jpg")


@pytest.fixture(scope="session")
def chelsea() -> imageio.Image:
    return imageio.read_image(SAMPLES / "chelsea.jpg")


def normalise(s: str) -> str:
    """What OCR can be expected to get right: no spaces/punctuation, NFKC, lower case, 一 == -."""
    s = unicodedata.normalize("NFKC", s).lower().replace("一", "-")
    return re.sub(r"[\s\W_]+", "", s)


@pytest.fixture(scope="session")
def ocr() -> Callable[[np.ndarray], str]:
    """``ocr(rgb) -> text`` (lines joined): RapidOCR ships its ONNX models in the wheel."""
    mod = pytest.importorskip("rapidocr_onnxruntime", reason="OCR tests need rapidocr-onnxruntime")
    engine = mod.RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def read(rgb: np.ndarray) -> str:
        result, _ = engine(np.ascontiguousarray(rgb))
        return "".join(r[1] for r in (result or []))

    return read


def similar(expected: str, got: str) -> float:
    """Similarity of the normalised strings (1 = identical); OCR splits lines, so join first."""
    return difflib.SequenceMatcher(None, normalise(expected), normalise(got)).ratio()
