"""The style-library pipeline end to end at tiny size: pick base styles, train, resume, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import onnx
import pytest

from huafeng.infer import load_style_file
from huafeng.models.pretrained import ATTRIBUTION
from huafeng.train import library

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import build_library  # noqa: E402


def test_tiny_library_builds_resumes_and_exports(shared_data: Path, tmp_path: Path) -> None:
    run, out = tmp_path / "run", tmp_path / "styles"
    sets = [*build_library.TINY, "train.steps=4"]
    cfg = library.prepare(build_library.RECIPE, run, sets=sets, data=shared_data, tiny=True)
    picked = cfg.model.generator_kw["init_styles"]
    assert len(picked) == 3 and all(0 <= k < 26 for k in picked)
    # the ink landscapes start from the same (grey-stroke) base style as each other
    assert picked[0] == picked[1] or picked[0] in (2, 9)
    res = library.train_library(cfg, run, progress=False)
    assert res.steps == 4
    # a second call resumes from the run's own config (the picked rows), not the recipe
    again = library.prepare(build_library.RECIPE, run, sets=["train.steps=6"], data=shared_data)
    assert again.model.generator_kw["init_styles"] == picked
    assert library.train_library(again, run, progress=False).steps == 6

    written = library.export_library(run, out)
    names = sorted(p.stem for p in written)
    assert names == sorted(["ink_shanshui", "qinglu_shanshui", "huaniao", library.ALL_IN_ONE])
    single = load_style_file(out / "huaniao.onnx")
    card = single.card
    assert card["initialised_from"] == ATTRIBUTION and card["steps"] == 6
    assert card["data"]["style"]["entries"] == ["styles/chinese_huaniao_flower_bird"]
    assert card["data"]["style"]["images"] >= 16  # a tradition, not one painting
    assert "research" in card["license"]  # MANIFEST licences carried into the card
    assert not single.style_names
    multi = load_style_file(out / f"{library.ALL_IN_ONE}.onnx")
    assert multi.style_names == ("ink_shanshui", "qinglu_shanshui", "huaniao")
    meta = {p.key: p.value for p in onnx.load(str(out / "huaniao.onnx")).metadata_props}
    assert json.loads(meta["huafeng.card"])["training"]["train_minutes"] >= 0
    with pytest.raises(Exception, match="exists"):
        library.export_library(run, out)
