"""Fixtures for the training tests: a generated data tree and the tiny smoke recipe pointed at it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from huafeng.config import RunCfg, load_config
from tests.data.fakes import make_tree

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny_smoke.yaml"


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("tinydata"))


@pytest.fixture
def tiny_cfg(tiny_root: Path) -> Callable[..., RunCfg]:
    """``tiny_cfg("train.steps=6", ...)``: the smoke recipe on generated data, with overrides."""

    def make(*overrides: str) -> RunCfg:
        base = [f"data.root={tiny_root}", "data.style=[styles/a]"]
        return load_config(TINY, [*base, *overrides])

    return make
