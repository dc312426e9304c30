"""The training loop: one function, top to bottom, every phase labelled (nanoGPT's ``train.py``).

:func:`run` is the loop every training task goes through — style, multi and cycle
(:class:`~huafeng.train.style_task.StyleTask`) and photo repair
(:class:`~huafeng.train.inpaint.RepairTask`). It owns what they share: the learning-rate schedule,
per-step seeds, the EMA copies, logging (``metrics.jsonl``, TensorBoard, the progress bar), sample
grids, checkpoints (every N steps, at the end, on Ctrl-C/SIGTERM or a time budget) and exact
resume. A task owns its networks and data and takes one optimisation step, returning its loss
terms (CUT's model contract, without a shared optimiser): see :class:`Task`.

The step's randomness is a function of ``(seed, step, rank)`` and a task's data of its seed and
sample number, so a resumed run repeats an uninterrupted one exactly (on CPU).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import yaml
from torch import nn

from huafeng import imageio
from huafeng.cfgtools import from_mapping, to_dict
from huafeng.config import RunCfg
from huafeng.errors import InputError
from huafeng.train import checkpoint as ckpt_io
from huafeng.train import distributed
from huafeng.train.ema import EMA


@dataclass
class TrainResult:
    """What a finished (or cleanly stopped) run produced."""

    checkpoint: Path
    """The final checkpoint's ``.safetensors`` (``load_generator`` / export take it)."""
    steps: int
    """Steps completed."""
    metrics: dict[str, float]
    """The last logged metrics (losses, learning rates)."""
    images_per_s: float
    """Training throughput over the run (photos per second, all processes), excluding I/O pauses."""
    out_dir: Path
    samples: list[Path] = field(default_factory=list)
    interrupted: bool = False
    """Stopped early by a signal (Ctrl-C, SIGTERM): the checkpoint is there to resume from."""


class Task(Protocol):
    """What the loop needs from a training task.

    ``modules`` and ``optimizers`` are checkpointed by name (each optimiser group carries its base
    rate ``lr0``, which :meth:`lr_factor` scales); ``emas`` maps a checkpoint name to an EMA and the
    module it follows, updated by the loop after every step.
    """

    name: str
    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    emas: dict[str, tuple[EMA, nn.Module]]
    images_per_step: int
    amp_dtype: torch.dtype | None

    def lr_factor(self, step: int) -> float: ...

    def begin(self, ck: ckpt_io.Checkpoint | None) -> None:
        """Called once before the first step, with the checkpoint resumed from (if any)."""

    def step(self, step: int) -> dict[str, Any]:
        """One optimisation step; returns what to log (tensors or numbers, ``loss/…`` for losses)."""
        ...

    def state(self) -> dict[str, Any]:
        """The task's JSON state for a checkpoint, beyond weights, optimisers and RNG."""
        ...

    def sample(self, path: Path) -> Path | None:
        """Write a sample grid to ``path`` (or return None for a task without one)."""
        ...


@dataclass(frozen=True)
class LoopCfg:
    """The loop's own knobs (each task's recipe fills them from its ``train`` section)."""

    steps: int
    seed: int = 0
    log_every: int = 10
    sample_every: int = 0  # 0: only at the end
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3


def recipe_task(path: Path) -> str:
    """Which task a recipe YAML trains: its top-level ``task`` key ("style" when absent: the
    style, multi and cycle recipes; "repair" for :mod:`huafeng.train.inpaint`'s)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{path}: cannot read the recipe ({e})") from None
    task = data.get("task", "style") if isinstance(data, dict) else "style"
    if task not in ("style", "repair"):
        raise InputError(f"{path}: task {task!r}; valid are style, repair")
    return str(task)


def prepare_run_dir(run_dir: Path, *, resume: bool, overwrite: bool) -> Path:
    """The run folder's rules: a non-empty folder needs ``resume`` or ``overwrite``; overwrite
    clears what a fresh run writes (checkpoints, samples, metrics) and leaves anything else."""
    run_dir = Path(run_dir)
    if run_dir.exists() and any(run_dir.iterdir()) and not (resume or overwrite):
        raise InputError(f"{run_dir}: run folder is not empty (use --resume to continue, or --overwrite)")
    if overwrite and not resume and run_dir.exists():
        import shutil

        for sub in ("checkpoints", "samples", "tb"):
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        (run_dir / "metrics.jsonl").unlink(missing_ok=True)
    return run_dir


def ensure_fresh(out_dir: Path, resume: bool) -> None:
    """Refuse to start over a run (before any network is built or image read)."""
    if not resume and ckpt_io.find_latest(Path(out_dir) / "checkpoints") is not None:
        raise InputError(f"{out_dir}: already holds a run; resume it (--resume) or choose another folder")


def train(
    cfg: RunCfg,
    out_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    stop_at: int | None = None,
    deadline_s: float | None = None,
    on_sample: Callable[[Path], None] | None = None,
) -> TrainResult:
    """Train a style/multi/cycle ``cfg`` into ``out_dir`` (``config.yaml``, ``metrics.jsonl``,
    ``samples/``, ``checkpoints/``): the front door the CLI, learn-style and the library use.

    ``resume`` continues from the newest complete checkpoint there. ``stop_at`` stops cleanly after
    that many steps, as an interrupt would, while the LR schedule still follows ``cfg.train.steps``;
    ``deadline_s`` does the same once this call has trained that many seconds (a time budget, as
    ``learn-style --minutes`` has). ``on_sample`` is called with each sample grid written.
    """
    from huafeng.train.style_task import StyleTask

    tc = cfg.train
    info = distributed.setup(tc.device)
    if tc.threads:
        torch.set_num_threads(tc.threads)
    ensure_fresh(out_dir, resume)
    task = StyleTask(cfg, info)
    loop = LoopCfg(tc.steps, tc.seed, tc.log_every, tc.sample_every, tc.checkpoint_every, tc.keep_checkpoints)
    try:
        return run(task, cfg, Path(out_dir), loop, info, resume=resume, progress=progress,
                   stop_at=stop_at, deadline_s=deadline_s, on_sample=on_sample)  # fmt: skip
    finally:
        distributed.cleanup(info)


def run(
    task: Task,
    cfg: Any,
    out_dir: Path,
    loop: LoopCfg,
    info: distributed.DistInfo,
    *,
    resume: bool = False,
    progress: bool = True,
    stop_at: int | None = None,
    deadline_s: float | None = None,
    on_sample: Callable[[Path], None] | None = None,
) -> TrainResult:
    """Run ``task`` to ``loop.steps`` (or ``stop_at``, a deadline, a signal); ``cfg`` is the
    task's frozen recipe, saved as ``config.yaml`` and in every checkpoint."""
    ckpt_dir, main = out_dir / "checkpoints", info.is_main
    ensure_fresh(out_dir, resume)

    # ---- 1. resume: weights, EMA copies, optimiser moments, RNG, then the task's own state -------
    saved = {**task.modules, **{k: e.model for k, (e, _) in task.emas.items()}}
    found = ckpt_io.find_latest(ckpt_dir) if resume else None
    ck = _restore(found, cfg, saved, task.optimizers, info.device) if found is not None else None
    start = ck.step if ck is not None else 0
    prior_seconds = float(ck.state.get("train_seconds", 0.0)) if ck is not None else 0.0
    task.begin(ck)

    # ---- 2. logs ---------------------------------------------------------------------------------
    metrics_path = out_dir / "metrics.jsonl"
    tb = None
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(to_dict(cfg), sort_keys=False, allow_unicode=True, width=110)
        imageio.atomic_write_bytes(out_dir / "config.yaml", text.encode())
        _truncate_metrics(metrics_path, start)  # a killed run may have logged past its checkpoint
        tb = _tensorboard(out_dir)
    end = min(loop.steps, stop_at) if stop_at is not None else loop.steps
    stop = distributed.StopFlag()
    interrupted = False
    last: dict[str, float] = {}
    samples: list[Path] = []
    train_time, interval_t0, interval_steps = 0.0, time.perf_counter(), 0
    ckpt_path = found
    bar = _progress(progress and main)
    bar_task = bar.add_task(task.name, total=loop.steps, completed=start, info="")
    hardware = hardware_line(info.device, info.world_size, torch.get_num_threads(), task.amp_dtype)

    # ---- 3. the loop -----------------------------------------------------------------------------
    with bar, stop:
        for step in range(start, end):
            t0 = time.perf_counter()
            # Schedules are pure functions of the step: nothing to save, nothing to drift on resume.
            lr_f = task.lr_factor(step)
            for opt in task.optimizers.values():
                for grp in opt.param_groups:
                    grp["lr"] = grp["lr0"] * lr_f
            torch.manual_seed(_step_seed(loop.seed, step, info.rank))  # dropout, noise: repeatable

            # -- the task's step, then the EMA copies (the exported models) --
            logged = task.step(step)
            for ema, source in task.emas.values():
                ema.update(source, step)
            done = step + 1
            train_time += time.perf_counter() - t0
            interval_steps += 1
            # decided before logging, so a run cut short by a signal or its time budget still logs
            # and saves its last step (and, at a time budget, samples it: a normal end)
            interrupted = stop.requested(info)
            stopping = interrupted or (deadline_s is not None and train_time >= deadline_s)

            # -- log (rank-averaged; every rank joins the all-reduce) --
            if done % loop.log_every == 0 or done == end or stopping:
                vals = distributed.average_scalars(info, {k: _number(v) for k, v in logged.items()})
                dt = time.perf_counter() - interval_t0
                last = {
                    "step": done,
                    **vals,
                    "img_per_s": interval_steps * task.images_per_step / max(dt, 1e-9),
                }
                interval_t0, interval_steps = time.perf_counter(), 0
                if main:
                    with metrics_path.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(last) + "\n")
                    if tb is not None:
                        for k, v in last.items():
                            tb.add_scalar(k, v, done)
                bar.update(bar_task, completed=done, info=_describe(last))
            else:
                bar.update(bar_task, completed=done)

            # -- sample grid --
            if main and (
                (loop.sample_every and done % loop.sample_every == 0)
                or done == end
                or (stopping and not interrupted)
            ):
                written = task.sample(out_dir / "samples" / f"step-{done:07d}.png")
                if written is not None:
                    samples.append(written)
                    if on_sample is not None:
                        on_sample(written)

            # -- checkpoint (barriers: every rank has finished the step; nobody races ahead) --
            if (loop.checkpoint_every and done % loop.checkpoint_every == 0) or done == end or stopping:
                distributed.barrier(info)
                if main:
                    state = {
                        **task.state(),
                        "config": to_dict(cfg),
                        "metrics": last,
                        # For the model card: compute time summed over resumes, and where it ran.
                        "train_seconds": prior_seconds + train_time,
                        "hardware": hardware,
                    }
                    ckpt_path = ckpt_io.save_checkpoint(
                        ckpt_dir, done, modules=saved, optimizers=task.optimizers, state=state,
                        keep=loop.keep_checkpoints,
                    )  # fmt: skip
                distributed.barrier(info)
            if stopping:
                end = done
                break

    # ---- 4. wrap up ------------------------------------------------------------------------------
    if tb is not None:
        tb.close()
    final = ckpt_path if ckpt_path is not None else ckpt_io.find_latest(ckpt_dir) or ckpt_dir
    ips = (end - start) * task.images_per_step / max(train_time, 1e-9)
    return TrainResult(final, end, last, ips, out_dir, samples, interrupted)


def _restore(
    found: Path,
    cfg: Any,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    device: torch.device,
) -> ckpt_io.Checkpoint:
    """Load ``found`` into the modules and optimisers (the recipe's base rates win) and the RNG."""
    ck = ckpt_io.load_checkpoint(found, device)
    was = from_mapping(type(cfg), ck.state["config"])
    if to_dict(was.model) != to_dict(cfg.model):
        raise InputError(f"{found}: checkpoint was trained with a different model config; cannot resume")
    for name, m in modules.items():
        m.load_state_dict(ck.module_state(name))
    for name, opt in optimizers.items():
        lr0 = [grp["lr0"] for grp in opt.param_groups]  # the recipe's rates win on resume
        ckpt_io.restore_optimizer(ck, name, opt)
        for grp, r in zip(opt.param_groups, lr0, strict=True):
            grp["lr0"] = r
    ckpt_io.set_rng_state(ck.state["rng"], ck.tensors)
    return ck


def _number(v: Any) -> float:
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


def _step_seed(seed: int, step: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _truncate_metrics(path: Path, step: int) -> None:
    if not path.exists():
        return
    keep = [
        ln
        for ln in path.read_text(encoding="utf-8").splitlines()
        if ln.strip() and json.loads(ln).get("step", 0) <= step
    ]
    imageio.atomic_write_bytes(path, "".join(ln + "\n" for ln in keep).encode())


def _tensorboard(out_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # tensorboard is optional; metrics.jsonl is always written
        return None
    return SummaryWriter(str(out_dir / "tb"))


def _describe(m: dict[str, float]) -> str:
    parts = [f"{k.removeprefix('loss/')} {v:.3g}" for k, v in m.items() if k.startswith("loss/")]
    return " ".join(parts) + f" | {m.get('img_per_s', 0):.1f} img/s"


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        disable=not enabled,
    )


def hardware_line(device: torch.device, world_size: int, threads: int, amp: torch.dtype | None = None) -> str:
    """One line for the model card: what trained this model, so its minutes mean something."""
    import platform

    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    else:
        what = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    what = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        what = f"CPU {what}, {os.cpu_count()} cores, {threads} torch thread(s)"
    what += f", {str(amp).removeprefix('torch.')} autocast" if amp is not None else ", fp32"
    return f"{world_size} × {what}" if world_size > 1 else what
