"""The per-user look store: CRUD, names that cannot escape the root, atomic replace."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from huafeng.errors import InputError, OutputExistsError, UnknownNameError
from huafeng.imageio import Image
from huafeng.looks import ApplyOptions, Look, LookStore, apply_look, identity_lut, resolve_look
from huafeng.looks.lut import Lut3D, grid_points, write_cube


def _look(name: str, gain: float = 0.8) -> Look:
    return Look(name, Lut3D(grid_points(5) * gain), tone_curve=(0.0, 0.5, 1.0), grain=0.01, vignette=0.2)


def test_crud(looks_dir: Path) -> None:
    store = LookStore()
    assert store.root == looks_dir and store.names() == [] and store.list() == []
    store.save(_look("warm"))
    store.save(_look("水墨-1.v2"))
    assert store.names() == sorted(["warm", "水墨-1.v2"])
    got = store.get("warm")
    np.testing.assert_allclose(got.lut.table, grid_points(5) * 0.8, atol=1e-6)
    assert (got.grain, got.vignette, got.tone_curve) == (0.01, 0.2, (0.0, 0.5, 1.0))
    row = next(r for r in store.list() if r["name"] == "warm")
    assert row["lut_size"] == 5 and row["created"]
    meta = json.loads((looks_dir / "warm" / "look.json").read_text())
    assert meta["format"] == 1 and (looks_dir / "warm" / "look.cube").is_file()
    with pytest.raises(OutputExistsError):
        store.save(_look("warm", 0.5))
    store.save(_look("warm", 0.5), overwrite=True)
    np.testing.assert_allclose(store.get("warm").lut.table, grid_points(5) * 0.5, atol=1e-6)
    assert not [p for p in looks_dir.iterdir() if p.name.startswith(".")]  # no temp folders left
    store.delete("warm")
    assert store.names() == ["水墨-1.v2"]
    with pytest.raises(UnknownNameError, match="no look named 'warm'"):
        store.get("warm")
    with pytest.raises(UnknownNameError):
        store.delete("warm")


@pytest.mark.parametrize("bad", ["", ".hidden", "../x", "a/b", "a\\b", "..", "x" * 65, "a b", "trailing."])
def test_bad_names(looks_dir: Path, bad: str) -> None:
    store = LookStore()
    with pytest.raises(InputError, match="bad look name"):
        store.save(_look(bad))
    with pytest.raises(InputError, match="bad look name"):
        store.get(bad)
    with pytest.raises(InputError, match="bad look name"):
        store.delete(bad)
    assert not (looks_dir.parent / "x").exists()


def test_did_you_mean(looks_dir: Path) -> None:
    LookStore().save(_look("golden_hour"))
    with pytest.raises(UnknownNameError, match="Did you mean 'golden_hour'"):
        LookStore().get("golden_hour2")


def test_damaged_look_is_a_clear_error_and_does_not_hide_others(looks_dir: Path) -> None:
    store = LookStore()
    store.save(_look("ok"))
    (looks_dir / "bad").mkdir()
    (looks_dir / "bad" / "look.json").write_text("{not json")
    assert [r["name"] for r in store.list()] == ["ok"]
    with pytest.raises(InputError, match="damaged"):
        store.get("bad")


def test_apply_and_resolve_cube(tmp_path: Path, looks_dir: Path) -> None:
    img = Image(rgb=np.full((16, 24, 3), 200, np.uint8), alpha=np.full((16, 24), 7, np.uint8))
    cube = write_cube(tmp_path / "half.cube", Lut3D(grid_points(5) * 0.5))
    look = resolve_look(cube)
    res = apply_look(img, look)
    assert res.alpha is not None and res.alpha[0, 0] == 7
    assert abs(int(res.rgb[8, 12, 0]) - 100) <= 1
    same = apply_look(img, Look("id", identity_lut(5)), ApplyOptions(grain=0))
    np.testing.assert_array_equal(same.rgb, img.rgb)
    with pytest.raises(InputError, match="strength"):
        ApplyOptions(strength=1.5)
