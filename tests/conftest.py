"""Fixtures shared by the whole suite."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "huafeng" / "assets" / "samples"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data set beside the checkout (CI always has it)."""
    root = REPO.parent / "shared" / "data"
    if not (root / "MANIFEST.csv").exists():
        pytest.skip(f"shared data not found at {root}")
    return root


@pytest.fixture(scope="session")
def sample_photo() -> Path:
    return SAMPLES / "chelsea.jpg"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
