"""Adopting a learnt style into the library: its card must name the data relative to the data folder
and carry every MANIFEST licence, since a shipped card with absolute paths or "unknown" licences fails
both the licence rule and the evaluation's lookup of the style's paintings."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from huafeng.errors import InputError
from huafeng.eval.inputs import style_refs
from huafeng.splits import is_heldout
from huafeng.train.adopt import DATA_ROOT, adopt_card


def _training_names(stem: str, n: int) -> list[str]:
    """``n`` file names outside the evaluation hold-out (it is chosen by path hash)."""
    return [f"{stem}{i}.jpg" for i in range(1000) if not is_heldout(f"{stem}{i}.jpg")][:n]


def _data(tmp_path: Path) -> tuple[Path, list[Path], list[Path]]:
    data = tmp_path / "data"
    rng = np.random.default_rng(0)
    photos = [data / n for n in _training_names("content/p", 2)]
    paintings = [data / n for n in _training_names("styles/trad/s", 3)]
    for p in photos + paintings:
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(p)
    with open(data / "MANIFEST.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "license"])
        for p in photos:
            w.writerow([p.relative_to(data).as_posix(), "photo licence"])
        for p in paintings[:2]:
            w.writerow([p.relative_to(data).as_posix(), "painting licence"])
    return data, photos, paintings


def test_adopt_card_relative_paths_licences_and_descriptor(tmp_path: Path) -> None:
    data, photos, paintings = _data(tmp_path)
    abs_photos, abs_paintings = [str(p.resolve()) for p in photos], [str(p.resolve()) for p in paintings]
    card = {
        "name": "x_learnt",
        "tradition": "user",
        "steps": 12,
        "training": {"train_minutes": 1.0},
        "data": {"root": "/", "content": {"entries": abs_photos}, "style": {"entries": abs_paintings}},
        "config": {
            "name": "x_learnt",
            "data": {"root": "/", "content": abs_photos, "style": abs_paintings, "samples": abs_photos[:1]},
        },
        "paintings": ["dropped"],
    }
    out = adopt_card(card, "trad_style", "trad", data, "a test style")
    assert out["config"]["description"] == "a test style" and out["config"]["data"]["exclude_heldout"]
    assert out["name"] == out["config"]["name"] == "trad_style" and out["tradition"] == "trad"
    assert out["data"]["root"] == out["config"]["data"]["root"] == DATA_ROOT
    assert out["data"]["style"]["entries"] == [p.relative_to(data).as_posix() for p in paintings]
    assert out["config"]["data"]["samples"] == [photos[0].relative_to(data).as_posix()]
    assert out["data"]["content"]["licences"] == {"photo licence": 2}
    # the third painting is not in the MANIFEST: the card says so instead of dropping it
    assert out["data"]["style"]["licences"] == {"painting licence": 2, "not in MANIFEST.csv": 1}
    assert out["license"] == ["not in MANIFEST.csv", "painting licence", "photo licence"]
    assert len(out["descriptor"]) == 8 and "paintings" not in out
    assert out["steps"] == 12 and out["training"] == card["training"]  # the training record is kept
    assert style_refs(out, data) == [p for p in paintings]  # the evaluation finds the paintings again


def test_adopt_card_refuses_a_heldout_training_file(tmp_path: Path) -> None:
    data, photos, _ = _data(tmp_path)
    name = next(f"h{i}.jpg" for i in range(1000) if is_heldout(f"styles/trad/h{i}.jpg"))
    held = data / "styles" / "trad" / name
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(held)
    entries = {"content": {"entries": [str(p) for p in photos]}, "style": {"entries": [str(held)]}}
    card = {"data": entries, "config": {"data": {}}}
    with pytest.raises(InputError, match="held-out"):
        adopt_card(card, "x", "trad", data)


def test_adopt_card_keeps_the_gram_paintings_apart_from_the_critic_s_collection(tmp_path: Path) -> None:
    """A style learnt with ``critic_images`` took its Gram targets from a few paintings
    (``data.style_images``) and showed the critic a collection (``data.style``): both stay named,
    relative, licensed and checked against the hold-out; the descriptor describes the few."""
    data, photos, paintings = _data(tmp_path)
    card = {
        "data": {
            "content": {"entries": [str(p) for p in photos]},
            "style": {"entries": [str(p) for p in paintings]},
            "style_images": [str(paintings[0])],
        },
        "config": {"data": {"root": "/", "style_reference": [str(paintings[0])]}},
    }
    out = adopt_card(card, "trad_style", "trad", data)
    first = paintings[0].relative_to(data).as_posix()
    assert out["data"]["style_images"] == out["config"]["data"]["style_reference"] == [first]
    assert len(out["data"]["style"]["entries"]) == 3
    assert style_refs(out, data) == [paintings[0]]  # the peer and the sheet get the Gram paintings
    only_first = {"content": card["data"]["content"], "style": {"entries": [str(paintings[0])]}}
    alone = adopt_card(dict(card, data=only_first), "t", "trad", data)
    assert out["descriptor"] == alone["descriptor"]  # from the Gram paintings, not the collection


def test_adopt_card_names_and_licenses_the_critic_s_negatives(tmp_path: Path) -> None:
    """Other traditions' paintings the critic called fake shaped the model too: the adopted card names
    them relative to the data folder, carries their licences, and refuses a held-out one."""
    data, photos, paintings = _data(tmp_path)
    card = {
        "data": {
            "content": {"entries": [str(p) for p in photos]},
            "style": {"entries": [str(paintings[0])]},
            "critic_negatives": {"entries": [str(p) for p in paintings[1:]]},
        },
        "config": {"data": {"root": "/", "critic_negatives": [str(p) for p in paintings[1:]]}},
    }
    out = adopt_card(card, "trad_style", "trad", data)
    rel = [p.relative_to(data).as_posix() for p in paintings[1:]]
    assert out["data"]["critic_negatives"]["entries"] == out["config"]["data"]["critic_negatives"] == rel
    assert out["data"]["critic_negatives"]["licences"] == {"painting licence": 1, "not in MANIFEST.csv": 1}
    assert "not in MANIFEST.csv" in out["license"]
    name = next(f"h{i}.jpg" for i in range(1000) if is_heldout(f"styles/other/h{i}.jpg"))
    held = data / "styles" / "other" / name
    held.parent.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(held)
    card["data"]["critic_negatives"] = {"entries": [str(held)]}
    with pytest.raises(InputError, match="held-out"):
        adopt_card(card, "x", "trad", data)
