"""A pretrained base's convolutions train at their own, much smaller rate (``optim.lr_convs``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from huafeng.config import load_config
from huafeng.errors import InputError
from huafeng.models.pretrained import PretrainedCIN
from huafeng.train import library
from huafeng.train.checkpoint import find_latest, load_checkpoint
from huafeng.train.style_task import _g_groups

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "configs" / "library" / "painterly.yaml"
sys.path.insert(0, str(REPO / "scripts"))
import build_library  # noqa: E402


def test_convs_get_their_own_rate_and_tables_keep_lr_g() -> None:
    g = PretrainedCIN(num_styles=2, pretrained=False, train_convs=True)
    cfg = load_config(RECIPE, ["optim.lr_g=0.01", "optim.lr_convs=0.0001"])
    tables, convs = _g_groups([g], cfg)
    assert tables["lr0"] == 0.01 and convs["lr0"] == 0.0001
    conv_ids = {id(m.conv.weight) for _, m in g._layers()}
    assert {id(p) for p in convs["params"]} == conv_ids
    assert not conv_ids & {id(p) for p in tables["params"]}
    assert len(tables["params"]) + len(convs["params"]) == len(list(g.parameters()))


def test_without_lr_convs_everything_shares_lr_g() -> None:
    g = PretrainedCIN(num_styles=1, pretrained=False)
    (only,) = _g_groups([g], load_config(RECIPE, ["optim.lr_g=0.02"]))
    assert only["lr0"] == 0.02 and len(only["params"]) == len(list(g.parameters()))


def test_negative_lr_convs_is_refused() -> None:
    with pytest.raises(InputError, match="lr_convs"):
        load_config(RECIPE, ["optim.lr_convs=-1"])


def test_tiny_continue_recipe_moves_convs_by_about_lr_convs_per_step(
    shared_data: Path, tmp_path: Path
) -> None:
    """The sweep's conv variant at tiny size: convs move, but only by ~lr_convs per Adam step."""
    recipe = REPO / "configs" / "library" / "gpu_continue.yaml"
    steps, lr = 3, 1e-4
    sets = [
        *build_library.TINY,
        f"train.steps={steps}",
        "model.generator_kw.train_convs=true",
        f"optim.lr_convs={lr}",
        "train.amp=off",
    ]
    cfg = library.prepare(recipe, tmp_path / "run", sets=sets, data=shared_data, tiny=True)
    assert len(cfg.model.generator_kw["init_onnx"]) == 3  # the per-row lists follow the tiny rows
    before = PretrainedCIN(num_styles=3, init_styles=cfg.model.generator_kw["init_styles"])
    library.train_library(cfg, tmp_path / "run", progress=False)
    ck = load_checkpoint(find_latest(tmp_path / "run" / "checkpoints"), torch.device("cpu"))
    state = ck.module_state("g")
    moved = [float((state[f"{n}.conv.weight"] - m.conv.weight).abs().max()) for n, m in before._layers()]
    assert max(moved) > 0
    assert max(moved) <= steps * lr * 1.5  # Adam's step is bounded by lr (+ the EMA-free raw G)
