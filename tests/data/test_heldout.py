"""The evaluation hold-out: training with ``data.exclude_heldout`` never sees a held-out file."""

from __future__ import annotations

from pathlib import Path

from huafeng.config import DataCfg, load_config
from huafeng.data.folders import find_images
from huafeng.eval.classifier import is_test
from huafeng.splits import HELDOUT_PERCENT, is_heldout, protocol_photos, relpath_under


def test_split_is_stable_and_shared_with_grading() -> None:
    names = [f"styles/x/p{i}.jpg" for i in range(2000)]
    share = sum(map(is_heldout, names)) / len(names)
    assert abs(share - HELDOUT_PERCENT / 100) < 0.04
    assert all(is_heldout(n) == is_test(n) for n in names[:200])  # one rule for training and eval
    assert all(is_heldout(p) for p in protocol_photos())  # every protocol photo is held out


def test_exclude_heldout_drops_folder_files_but_keeps_named_ones(shared_data: Path) -> None:
    d = DataCfg(root=str(shared_data), style=("styles/chinese_shanshui_landscape",))
    everything = find_images(d, d.style_entries(), what="painting")
    kept = find_images(DataCfg(**{**d.__dict__, "exclude_heldout": True}), d.style_entries(), what="painting")
    rel = [relpath_under(p, shared_data) for p in kept]
    assert 0 < len(kept) < len(everything) and not any(is_heldout(r) for r in rel if r)
    held = next(p for p in everything if is_heldout(relpath_under(p, shared_data) or ""))
    named = DataCfg(root=str(shared_data), style=(str(held.relative_to(shared_data)),), exclude_heldout=True)
    assert find_images(named, named.style_entries(), what="painting") == [held]


def test_library_recipe_keeps_eval_photos_out(shared_data: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    cfg = load_config(repo / "configs" / "library" / "painterly.yaml", [f"data.root={shared_data}"])
    photos = {p.name for p in find_images(cfg.data, cfg.data.content, what="photo")}
    assert not photos & {Path(p).name for p in protocol_photos()}


def test_a_style_entry_may_list_several_paintings() -> None:
    cfg = load_config(None, ["train.mode=multi", "data.style=[a, [b, c]]"])
    assert cfg.data.style == ("a", ("b", "c"))
    assert cfg.data.style_groups() == [["a"], ["b", "c"]] and cfg.data.style_entries() == ["a", "b", "c"]


def test_a_glob_is_a_deliberate_pick(shared_data: Path) -> None:
    """The first library's great_wave lost two of its three Wave images to the hold-out this way."""
    d = DataCfg(
        root=str(shared_data), style=("styles/japanese_ukiyoe_and_edo/nst_wave*.jpg",), exclude_heldout=True
    )
    assert len(find_images(d, d.style_entries(), what="painting")) == 3
