"""Folder datasets and the resumable sampler: bad files skipped, data order a function of the seed."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

import pytest
import torch

from huafeng.config import RunCfg, load_config
from huafeng.data import (
    PAINTINGS,
    PHOTOS,
    DataPlan,
    DistributedStepSampler,
    TrainData,
    build_data,
    find_images,
    make_loader,
)
from huafeng.errors import InputError
from tests.data.fakes import make_tree


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("data"), styles=("a", "b", "c"), n_style=3)


def _build(cfg: RunCfg) -> TrainData:
    """The data of a whole run config: its data section and the run facts it needs."""
    return build_data(cfg.data, DataPlan.of(cfg))


def _loader(ds: Any, cfg: RunCfg, **kw: Any) -> Any:
    return make_loader(ds, cfg.data, seed=cfg.train.seed, **kw)


def _cfg(root: Path, *overrides: str):
    base = [
        f"data.root={root}",
        "data.style=[styles/a]",
        "data.image_size=40",
        "data.style_size=40",
        "data.crop_size=32",
        "data.batch_size=2",
        "data.sample_size=32",
        "data.num_samples=2",
    ]
    return load_config(None, [*base, *overrides])


def test_bad_image_is_skipped_and_logged(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = _build(_cfg(root))
    bad = [i for i, p in enumerate(data.photos.paths) if p.name == "zz_bad.jpg"]
    assert bad, "the corrupt file is listed (it is only found out when decoded)"
    with caplog.at_level(logging.WARNING, logger="huafeng.data"):
        x, _ = data.photos[(bad[0], 0)]
    assert x.shape == (3, 32, 32)
    assert "skipping unreadable training image" in caplog.text and "zz_bad.jpg" in caplog.text
    # A whole epoch through the loader, bad file included, does not raise.
    it = _loader(data.photos, _cfg(root), stream=PHOTOS)
    for _ in range(len(data.photos)):
        next(it)


def test_loader_is_deterministic_and_resumable(root: Path) -> None:
    cfg = _cfg(root)
    data = _build(cfg)
    run = [next(b)[0] for b in [_loader(data.photos, cfg, stream=PHOTOS)] for _ in range(5)]
    again = _loader(data.photos, cfg, stream=PHOTOS)
    for a in run:
        assert torch.equal(a, next(again)[0])
    # Starting at the global sample of step 3 gives exactly steps 3 and 4.
    resumed = _loader(data.photos, cfg, stream=PHOTOS, start_sample=3 * cfg.data.batch_size)
    assert torch.equal(next(resumed)[0], run[3]) and torch.equal(next(resumed)[0], run[4])
    other_seed = load_config(None, [*_args(root), "train.seed=1"])
    assert not torch.equal(next(_loader(_build(other_seed).photos, other_seed, stream=PHOTOS))[0], run[0])


def _args(root: Path) -> list[str]:
    return [
        f"data.root={root}",
        "data.style=[styles/a]",
        "data.image_size=40",
        "data.style_size=40",
        "data.crop_size=32",
        "data.batch_size=2",
        "data.sample_size=32",
        "data.num_samples=2",
    ]


def test_sampler_shards_like_distributed_sampler() -> None:
    """Two ranks with batch 2 together see exactly what one process with batch 4 sees, per step."""
    single = DistributedStepSampler(10, batch_size=4, seed=3, stream=1)
    ranks = [DistributedStepSampler(10, batch_size=2, seed=3, stream=1, rank=r, world_size=2) for r in (0, 1)]
    one = list(itertools.islice(iter(single), 40))
    two = [list(itertools.islice(iter(s), 20)) for s in ranks]
    for step in range(10):
        merged = sorted(two[0][2 * step : 2 * step + 2] + two[1][2 * step : 2 * step + 2], key=lambda k: k[1])
        assert merged == sorted(one[4 * step : 4 * step + 4], key=lambda k: k[1])
    # Every epoch is a permutation: each index once per 10 samples.
    assert sorted(i for i, _ in one[:10]) == list(range(10))


def test_multi_style_set_is_balanced(root: Path) -> None:
    cfg = load_config(None, [*_args(root), "train.mode=multi", "data.style=[styles/a, styles/b, styles/c]"])
    data = _build(cfg)
    assert data.style_names == ["a", "b", "c"] and data.paintings.num_labels == 3
    it = _loader(data.paintings, cfg, stream=PAINTINGS)
    labels = torch.cat([next(it)[1] for _ in range(9)])
    assert torch.bincount(labels, minlength=3).tolist() == [6, 6, 6]


def test_fixed_references_and_samples(root: Path) -> None:
    cfg = load_config(
        None,
        [
            *_args(root),
            "loss.style_target=fixed",
            "data.style_reference=[styles/a/s01.png]",
            "data.samples=[content/p00.png, content/zz_bad.jpg, content/p01.png]",
        ],
    )
    data = _build(cfg)
    assert len(data.references) == 1 and len(data.references[0]) == 1
    assert data.references[0][0].shape[:2] == (1, 3) and min(data.references[0][0].shape[2:]) == 40
    assert data.sample_photos.shape == (2, 3, 32, 32)  # the unreadable sample is dropped


def test_missing_folder_and_empty_set(root: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="photo folder or file not found"):
        _build(load_config(None, [*_args(root), "data.content=[nowhere]"]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no photo images found in empty under"):
        _build(load_config(None, [*_args(tmp_path), "data.content=[empty]", "data.style=[empty]"]))


def test_manifest_filter_on_shared_data(shared_data: Path) -> None:
    cfg = load_config(
        None, [f"data.root={shared_data}", "data.manifest=MANIFEST.csv", "data.manifest_label=starry_night"]
    )
    found = find_images(
        cfg.data,
        ["styles/european_impressionism_postimpressionism"],
        what="painting",
        label_regex=cfg.data.manifest_label,
    )
    names = {p.name for p in found}
    assert "nst_starry_night.jpg" in names and len(found) <= 6
    assert all("starry" in n for n in names)


def test_worker_processes_give_the_same_batches(root: Path) -> None:
    """Crops depend on the global sample number, not on which worker decoded them."""
    cfg0, cfg2 = _cfg(root), _cfg(root, "data.workers=2")
    a = _loader(_build(cfg0).photos, cfg0, stream=PHOTOS)
    b = _loader(_build(cfg2).photos, cfg2, stream=PHOTOS)
    for _ in range(4):
        assert torch.equal(next(a)[0], next(b)[0])
