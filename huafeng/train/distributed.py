"""Data-parallel training under ``torchrun`` (or a single process, unchanged).

Initialised from the environment torchrun sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``/``PORT``): gloo on CPU, nccl on CUDA. Gradients are averaged with one flattened
``all_reduce`` per network after backward instead of wrapping the networks in
``DistributedDataParallel``: a GAN step runs D several times per backward (real, fake, and inside
G's loss) and R1 needs a double backward, both of which DDP's reducer does not support cleanly.
StyleGAN2-ADA synchronises gradients the same way for the same reasons. The semantics are
DDP's: identical replicas, each process a shard of the batch, averaged gradients.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from huafeng.errors import InputError


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 alone logs, samples and writes checkpoints."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def pick_device(pref: str, local_rank: int = 0) -> torch.device:
    """``auto`` → cuda, then mps, then cpu; an explicit choice that is unavailable is an error."""
    has_mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if pref == "auto":
        pref = "cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu"
    if pref == "cuda":
        if not torch.cuda.is_available():
            raise InputError("train.device: cuda requested but no CUDA GPU is available")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if pref == "mps" and not has_mps:
        raise InputError("train.device: mps requested but Metal is not available")
    return torch.device(pref)


def setup(device_pref: str) -> DistInfo:
    """Join the torchrun job if there is one (idempotent), and choose this process's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_pref, local)
    if world > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, init_method="env://", timeout=datetime.timedelta(minutes=30))
    return DistInfo(rank, world, local, device)


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


@torch.no_grad()
def broadcast_module(info: DistInfo, module: nn.Module) -> None:
    """Make every replica start from rank 0's weights (what DDP does at construction)."""
    if info.enabled:
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t.data, src=0)


@torch.no_grad()
def average_gradients(info: DistInfo, params: Iterable[nn.Parameter]) -> None:
    """Mean of every gradient across processes, in one flattened all-reduce."""
    if not info.enabled:
        return
    ps = [p for p in params if p.requires_grad]
    if not ps:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in ps]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= info.world_size
    offset = 0
    for p in ps:
        n = p.numel()
        p.grad = flat[offset : offset + n].view_as(p).clone()
        offset += n


def average_scalars(info: DistInfo, values: dict[str, float]) -> dict[str, float]:
    """Mean of logged losses across processes (every rank must call this at the same step)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return {k: float(v) / info.world_size for k, v in zip(keys, t.tolist(), strict=True)}


class StopFlag:
    """SIGINT/SIGTERM ask the loop to stop after the current step, checkpoint and return, so an
    interrupted run resumes exactly. A second signal interrupts at once."""

    def __init__(self) -> None:
        self.flag = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, frame: object) -> None:
        if self.flag:
            raise KeyboardInterrupt
        self.flag = True

    def requested(self, info: DistInfo) -> bool:
        if not info.enabled:
            return self.flag
        t = torch.tensor([1.0 if self.flag else 0.0], device=info.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)
