"""Training data: photos and paintings from folders, cut into deterministic random crops.

``build_data(data_cfg, plan)`` gathers everything a run needs from its
:class:`~huafeng.config.DataCfg` and the few facts of the run the data depends on (:class:`DataPlan`:
seed, multi-style or not, fixed style targets or not, the run's name); ``make_loader`` turns one
of its sets into an endless, resumable batch iterator. Every mode uses the same two streams:
*photos* (the content images, domain A in ``cycle``) and *paintings* (the style set, domain B in
``cycle``, labelled with the style index in ``multi``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from huafeng.config import DataCfg, RunCfg
from huafeng.data.folders import (
    DistributedStepSampler,
    ImageSet,
    find_images,
    load_full,
    load_square,
)
from huafeng.data.transforms import TrainTransform
from huafeng.errors import InputError

__all__ = [
    "PHOTOS",
    "PAINTINGS",
    "NEGATIVES",
    "DistributedStepSampler",
    "ImageSet",
    "DataPlan",
    "TrainData",
    "build_data",
    "find_images",
    "make_loader",
]

#: RNG stream ids: photos, paintings and the critic's negatives draw independent crops from one seed.
PHOTOS, PAINTINGS, NEGATIVES = 1, 2, 3


@dataclass
class TrainData:
    """Everything image-shaped a run needs, before any loader exists."""

    photos: ImageSet
    paintings: ImageSet
    style_names: list[str]
    """One name per style (``multi``: K of them; otherwise the run's name)."""
    sample_photos: torch.Tensor
    """(N, 3, S, S) fixed photos for the sample grids."""
    references: list[list[torch.Tensor]]
    """Per style, the whole paintings (1×3×H×W) whose Grams are the ``fixed`` style targets."""
    negatives: ImageSet | None = None
    """Other traditions' paintings the critic sees as fakes (``data.critic_negatives``), if any."""


@dataclass(frozen=True)
class DataPlan:
    """What the data needs to know of the run beyond its ``data`` section."""

    seed: int = 0
    multi: bool = False
    """One group of paintings per style entry, class-balanced (``train.mode: multi``)."""
    fixed_targets: bool = False
    """Load whole reference paintings for fixed Gram targets (``loss.style_target: fixed``)."""
    name: str = "style"
    """The style's name when the data does not name its styles."""

    @classmethod
    def of(cls, cfg: RunCfg) -> DataPlan:
        return cls(cfg.train.seed, cfg.train.mode == "multi", cfg.loss.style_target == "fixed", cfg.name)


def _style_name(entry: str | tuple[str, ...]) -> str:
    first = entry if isinstance(entry, str) else entry[0]
    return Path(first.rstrip("/*")).name or first


def build_data(d: DataCfg, plan: DataPlan) -> TrainData:
    """List and filter the images; load the sample photos and (``fixed`` targets) the references."""
    seed, multi = plan.seed, plan.multi
    photo_tf = TrainTransform(d.crop_size, d.image_size, d.crop_scale, d.hflip)
    paint_tf = TrainTransform(d.crop_size, d.style_size, d.crop_scale, d.hflip, d.style_border, d.style_trim)
    photos = ImageSet(
        find_images(d, d.content, what="photo"), photo_tf, seed=seed, stream=PHOTOS, cache=d.cache
    )

    # One group of paintings per style entry in multi mode; a single pooled set otherwise.
    groups = d.style_groups() if multi else [d.style_entries()]
    paths: list[Path] = []
    labels: list[int] = []
    for k, entries in enumerate(groups):
        found = find_images(d, entries, what="painting", label_regex=d.manifest_label)
        paths += found
        labels += [k] * len(found)
    paintings = ImageSet(
        paths, paint_tf, seed=seed, stream=PAINTINGS, labels=labels, balanced=multi, cache=d.cache
    )
    names = list(d.style_names) or ([_style_name(e) for e in d.style] if multi else [plan.name])

    sample_paths = [d.path(p) for p in d.samples] if d.samples else photos.paths[: d.num_samples]
    loaded = [t for t in (load_square(p, d.sample_size) for p in sample_paths) if t is not None]
    if not loaded:
        raise InputError("no readable sample photos (data.samples / data.content)")

    references: list[list[torch.Tensor]] = []
    if plan.fixed_targets:
        for k in range(len(groups)):
            if d.style_reference:
                refs = [d.style_reference[k]] if multi else list(d.style_reference)
                ref_paths = find_images(d, refs, what="style reference")
            else:
                ref_paths = [p for p, lab in zip(paths, labels, strict=True) if lab == k]
            full = (load_full(p, d.style_size, d.style_border, d.style_trim) for p in ref_paths)
            imgs = [t for t in full if t is not None]
            if not imgs:
                raise InputError(f"no readable style reference images for style {names[k]!r}")
            references.append(imgs)
    negatives = None
    if d.critic_negatives:
        found = find_images(d, d.critic_negatives, what="critic negative")
        negatives = ImageSet(found, paint_tf, seed=seed, stream=NEGATIVES, cache=d.cache)
    return TrainData(photos, paintings, names, torch.stack(loaded), references, negatives)


def _worker_init(_: int) -> None:
    # Workers share the machine with the training process: one thread each avoids oversubscription.
    torch.set_num_threads(1)
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover
        pass


def make_loader(
    ds: ImageSet,
    d: DataCfg,
    *,
    seed: int,
    stream: int,
    rank: int = 0,
    world_size: int = 1,
    start_sample: int = 0,
    pin_memory: bool = False,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless iterator of ``(images NCHW, labels N)`` batches for this rank, from ``start_sample``."""
    sampler = DistributedStepSampler(
        len(ds),
        batch_size=d.batch_size,
        seed=seed,
        stream=stream,
        rank=rank,
        world_size=world_size,
        start_sample=start_sample,
    )
    loader = DataLoader(
        ds,
        batch_size=d.batch_size,
        sampler=sampler,
        num_workers=d.workers,
        pin_memory=pin_memory,
        worker_init_fn=_worker_init if d.workers else None,
        persistent_workers=d.workers > 0,
        prefetch_factor=2 if d.workers else None,
        # forkserver, not fork: a fork of a process that already runs threads (ONNX Runtime, OpenMP,
        # a test runner) can inherit a held lock and hang forever; measured here under pytest -n 2.
        multiprocessing_context="forkserver" if d.workers else None,
    )
    return iter(loader)
