"""Folder datasets (photos, one or K painting sets, unpaired A/B) and a resumable sampler.

Determinism is designed in rather than hoped for: the sampler yields ``(index, g)`` where ``g`` is
the run's global sample number, the dataset draws its crop/flip from ``rng(seed, stream, g)`` and
the index from a per-epoch permutation seeded by ``(seed, stream, epoch)``. So batch ``k`` of a run
is a pure function of ``(seed, k)``: a run resumed at step ``k`` (with any number of processes or
workers) sees exactly the batches an uninterrupted run would have seen.

A file that cannot be decoded is logged once and replaced by the next readable image of the same
set (and style), so one bad JPEG among thousands never stops a run.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from huafeng import imageio
from huafeng.config import DataCfg
from huafeng.data.transforms import (
    TrainTransform,
    center_crop,
    crop_border,
    resize_short,
    sample_rng,
    to_tensor,
)
from huafeng.errors import InputError
from huafeng.splits import is_heldout, relpath_under

log = logging.getLogger("huafeng.data")

Key = tuple[int, int]  # (dataset index, global sample number)


def _manifest_allow(cfg: DataCfg, label_regex: str | None) -> set[Path] | None:
    """Resolved paths the manifest admits (split, optional label regex), or None without one."""
    if cfg.manifest is None:
        return None
    mpath = cfg.path(cfg.manifest)
    if not mpath.is_file():
        raise InputError(f"{mpath}: manifest not found (data.manifest)")
    pattern = re.compile(label_regex, re.IGNORECASE) if label_regex else None
    allow: set[Path] = set()
    with mpath.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("split", cfg.manifest_split) != cfg.manifest_split:
                continue
            if pattern is not None and not pattern.search(row.get("label", "")):
                continue
            allow.add((mpath.parent / row["file"]).resolve())
    return allow


def _heldout(path: Path, root: Path) -> bool:
    rel = relpath_under(path, root)
    return rel is not None and is_heldout(rel)


def find_images(
    cfg: DataCfg, entries: Sequence[str], *, what: str, label_regex: str | None = None
) -> list[Path]:
    """Expand folders/globs/files under ``cfg.root`` into a sorted, manifest-filtered list."""
    paths: list[Path] = []
    for e in entries:
        p = cfg.path(e)
        if not any(c in str(p) for c in "*?[") and not p.exists():
            raise InputError(f"{p}: {what} folder or file not found (check data.root / --data)")
        found = imageio.list_images([p])
        if cfg.exclude_heldout and p.is_dir():  # a folder; a named file or a glob is a deliberate pick
            found = [f for f in found if not _heldout(f, Path(cfg.root))]
        paths.extend(found)
    allow = _manifest_allow(cfg, label_regex)
    if allow is not None:
        paths = [p for p in paths if p.resolve() in allow]
    if not paths:
        raise InputError(f"no {what} images found in {', '.join(entries)} under {cfg.root}")
    return paths


class ImageSet(Dataset[tuple[torch.Tensor, int]]):
    """Images (optionally labelled) → ``(CHW float tensor in [0, 1], label)`` random crops.

    ``balanced=True`` makes the index space ``K × max(n_k)`` so that a uniform permutation draws
    every label equally often: in ``multi`` mode 35 ukiyo-e prints must weigh as much as 256
    impressionist paintings.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        transform: TrainTransform,
        *,
        seed: int,
        stream: int,
        labels: Sequence[int] | None = None,
        balanced: bool = False,
        cache: bool = False,
    ) -> None:
        self.paths = list(paths)
        self.labels = list(labels) if labels is not None else [0] * len(self.paths)
        self.transform, self.seed, self.stream, self.cache = transform, seed, stream, cache
        self.num_labels = max(self.labels) + 1 if self.labels else 0
        self.by_label = [[i for i, lab in enumerate(self.labels) if lab == k] for k in range(self.num_labels)]
        self.balanced = balanced
        self._bad: set[int] = set()
        self._memo: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        if self.balanced:
            return self.num_labels * max(len(g) for g in self.by_label)
        return len(self.paths)

    def resolve(self, index: int) -> int:
        """Virtual (balanced) index → file index."""
        if not self.balanced:
            return index
        k = index % self.num_labels
        group = self.by_label[k]
        return group[(index // self.num_labels) % len(group)]

    def load(self, i: int) -> tuple[int, np.ndarray]:
        """Decoded + resized image ``i``, or the next readable one with the same label."""
        group = self.by_label[self.labels[i]]
        start = group.index(i)
        for j in (group[(start + t) % len(group)] for t in range(len(group))):
            if j in self._bad:
                continue
            if j in self._memo:
                return j, self._memo[j]
            try:
                rgb = self.transform.prepare(imageio.read_image(self.paths[j]).rgb)
            except InputError as e:
                log.warning("skipping unreadable training image: %s", e)
                self._bad.add(j)
                continue
            if self.cache:
                self._memo[j] = rgb
            return j, rgb
        raise InputError(f"none of the {len(group)} images for label {self.labels[i]} could be read")

    def __getitem__(self, key: Key | int) -> tuple[torch.Tensor, int]:
        index, g = key if isinstance(key, tuple) else (key, key)
        j, rgb = self.load(self.resolve(index))
        return self.transform(rgb, sample_rng(self.seed, self.stream, g)), self.labels[j]


class DistributedStepSampler(Sampler[Key]):
    """An endless, resumable DistributedSampler.

    Shards like :class:`torch.utils.data.DistributedSampler` (rank ``r`` of ``W`` takes every
    ``W``-th element of a seeded per-epoch permutation) but is indexed by the global sample number,
    so it can start at any step and with a different world size — torch's sampler can only
    restart at an epoch boundary with the same number of processes. Sample ``j`` of this rank's
    ``k``-th batch is ``g = start_sample + k·B·W + j·W + rank``.
    """

    def __init__(
        self,
        n: int,
        *,
        batch_size: int,
        seed: int,
        stream: int,
        rank: int = 0,
        world_size: int = 1,
        start_sample: int = 0,
    ) -> None:
        self.n, self.batch_size, self.seed, self.stream = n, batch_size, seed, stream
        self.rank, self.world_size, self.start_sample = rank, world_size, start_sample
        self._perm: tuple[int, np.ndarray] | None = None

    def index(self, g: int) -> int:
        epoch, pos = divmod(g, self.n)
        if self._perm is None or self._perm[0] != epoch:
            self._perm = (
                epoch,
                np.random.default_rng([self.seed, self.stream, 1 << 20, epoch]).permutation(self.n),
            )
        return int(self._perm[1][pos])

    def __iter__(self) -> Iterator[Key]:
        b, w = self.batch_size, self.world_size
        k = 0
        while True:
            for j in range(b):
                g = self.start_sample + k * b * w + j * w + self.rank
                yield self.index(g), g
            k += 1


def load_square(path: Path, size: int) -> torch.Tensor | None:
    """A fixed sample photo: short side ``size``, center square, CHW [0, 1]; None if unreadable."""
    try:
        rgb = imageio.read_image(path).rgb
    except InputError as e:
        log.warning("skipping unreadable sample image: %s", e)
        return None
    return to_tensor(center_crop(resize_short(rgb, size), size))


def load_full(path: Path, size: int, border: float, trim: bool = False) -> torch.Tensor | None:
    """A whole painting (``trim``: without its flat pad; borders cut; short side ``size``) as
    1×3×H×W, for fixed Gram targets."""
    try:
        rgb = imageio.read_image(path).rgb
    except InputError as e:
        log.warning("skipping unreadable style reference: %s", e)
        return None
    if trim:
        rgb = imageio.trim_mount(rgb)
    return to_tensor(resize_short(crop_border(rgb, border), size)).unsqueeze(0)
