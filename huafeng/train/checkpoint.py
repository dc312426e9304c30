"""Checkpoints: safetensors for every tensor, JSON for everything else, nothing pickled.

A checkpoint at step ``s`` is a pair in ``<run>/checkpoints/``::

    model-000000s.safetensors   networks (``g/…``, ``g_ema/…``, ``d/…``, …), optimiser moment tensors
                                (``opt/<name>/<param index>/<key>``), torch RNG states (``rng/…``)
    model-000000s.json          format version, step, samples seen, config, optimiser scalars and
                                param groups, AMP scaler, python/numpy RNG, style names, metrics
    latest.json                 {"step": s, "weights": …, "state": …} — updated last

Each file is written to a temp file, fsynced and ``os.replace``d, in that order, so ``kill -9`` at
any instant leaves ``latest.json`` pointing at a complete pair (an orphan half-pair is ignored and
later overwritten). Loading never unpickles: safetensors holds raw tensors only, and JSON holds
plain values, so a checkpoint from a stranger cannot run code.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch as st
import torch
from safetensors import SafetensorError
from torch import nn

from huafeng.config import RunCfg, from_dict
from huafeng.errors import InputError
from huafeng.imageio import atomic_write_bytes

FORMAT_VERSION = 1
_NAME = re.compile(r"^model-(\d{7,})\.json$")


@dataclass
class Checkpoint:
    """A loaded checkpoint: flat tensors and the JSON state."""

    step: int
    tensors: dict[str, torch.Tensor]
    state: dict[str, Any]
    path: Path

    @property
    def config(self) -> RunCfg:
        return from_dict(self.state["config"])

    def module_state(self, name: str) -> dict[str, torch.Tensor]:
        prefix = f"{name}/"
        return {k[len(prefix) :]: v for k, v in self.tensors.items() if k.startswith(prefix)}


def _cpu(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", copy=True).contiguous()


def rng_state() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Python/numpy RNG as JSON, torch (and CUDA) RNG as tensors."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    assert isinstance(keys, np.ndarray)  # legacy=True: the MT19937 tuple, never the dict form
    js = {"python": [version, list(internal), gauss], "numpy": [name, keys.tolist(), pos, has_gauss, cached]}
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = s
    return js, tensors


def set_rng_state(state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(tensors["rng/torch"])
    cuda = [tensors[k] for k in sorted(t for t in tensors if t.startswith("rng/cuda/"))]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def _split_optimizer(name: str, opt: torch.optim.Optimizer) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st_ in sd["state"].items():
        for k, v in st_.items():
            if isinstance(v, torch.Tensor):
                tensors[f"opt/{name}/{idx}/{k}"] = _cpu(v)
            else:
                scalars.setdefault(str(idx), {})[k] = v
    return {"param_groups": sd["param_groups"], "scalars": scalars}, tensors


def _join_optimizer(name: str, js: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    prefix = f"opt/{name}/"
    for key, v in tensors.items():
        if key.startswith(prefix):
            idx, k = key[len(prefix) :].split("/", 1)
            state.setdefault(int(idx), {})[k] = v
    for idx, scal in js["scalars"].items():
        state.setdefault(int(idx), {}).update(scal)
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in js["param_groups"]]
    return {"state": state, "param_groups": groups}


def save_checkpoint(
    ckpt_dir: Path,
    step: int,
    *,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    state: dict[str, Any],
    keep: int = 3,
) -> Path:
    """Write the pair for ``step`` atomically, point ``latest.json`` at it, prune old pairs."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tensors = {f"{n}/{k}": _cpu(v) for n, m in modules.items() for k, v in m.state_dict().items()}
    opt_js: dict[str, Any] = {}
    for n, opt in optimizers.items():
        opt_js[n], t = _split_optimizer(n, opt)
        tensors.update(t)
    rng_js, rng_t = rng_state()
    tensors.update(rng_t)
    stem = f"model-{step:07d}"
    blob = st.save(tensors, metadata={"format": str(FORMAT_VERSION), "step": str(step)})
    atomic_write_bytes(ckpt_dir / f"{stem}.safetensors", blob)
    full = {
        **state,
        "format": FORMAT_VERSION,
        "step": step,
        "optimizers": opt_js,
        "rng": rng_js,
        "weights": f"{stem}.safetensors",
        "weights_bytes": len(blob),
    }
    atomic_write_bytes(ckpt_dir / f"{stem}.json", json.dumps(full, indent=1).encode())
    latest = {"step": step, "weights": f"{stem}.safetensors", "state": f"{stem}.json"}
    atomic_write_bytes(ckpt_dir / "latest.json", json.dumps(latest).encode())
    _prune(ckpt_dir, keep, protect=step)
    return ckpt_dir / f"{stem}.safetensors"


def _steps(ckpt_dir: Path) -> list[int]:
    return sorted(int(m.group(1)) for p in ckpt_dir.glob("model-*.json") if (m := _NAME.match(p.name)))


def _prune(ckpt_dir: Path, keep: int, protect: int) -> None:
    """Drop all but the newest ``keep`` pairs. The state file goes first: a kill between the two
    unlinks then leaves weights without a state file (invisible to :func:`find_latest` and removed
    by the next prune), never a state file announcing weights that are gone."""
    for s in _steps(ckpt_dir)[:-keep]:
        if s != protect:
            for ext in (".json", ".safetensors"):
                (ckpt_dir / f"model-{s:07d}{ext}").unlink(missing_ok=True)
    for w in ckpt_dir.glob("model-*.safetensors"):  # weights whose state file is gone (see above)
        if not w.with_suffix(".json").exists() and w.name != f"model-{protect:07d}.safetensors":
            w.unlink(missing_ok=True)
    for tmp in ckpt_dir.glob(".*.tmp"):  # leftovers of a write killed half-way
        tmp.unlink(missing_ok=True)


def _valid(ckpt_dir: Path, step: int) -> bool:
    w, s = ckpt_dir / f"model-{step:07d}.safetensors", ckpt_dir / f"model-{step:07d}.json"
    try:
        state = json.loads(s.read_text())
        return bool(w.stat().st_size == state["weights_bytes"])
    except (OSError, ValueError, KeyError):
        return False


def find_latest(ckpt_dir: Path) -> Path | None:
    """The newest complete checkpoint's ``.safetensors`` (``latest.json``, else a scan), or None."""
    if not ckpt_dir.is_dir():
        return None
    try:
        step = int(json.loads((ckpt_dir / "latest.json").read_text())["step"])
        if _valid(ckpt_dir, step):
            return ckpt_dir / f"model-{step:07d}.safetensors"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for step in reversed(_steps(ckpt_dir)):
        if _valid(ckpt_dir, step):
            return ckpt_dir / f"model-{step:07d}.safetensors"
    return None


def resolve(path: str | Path) -> Path:
    """A run folder, its ``checkpoints/`` folder, or either file of a pair → the ``.safetensors``."""
    p = Path(path)
    if p.is_dir():
        found = find_latest(p / "checkpoints") or find_latest(p)
        if found is None:
            raise InputError(f"{p}: no complete checkpoint found")
        return found
    if p.suffix == ".json":
        p = p.with_suffix(".safetensors")
    if not p.is_file():
        raise InputError(f"{p}: no such checkpoint")
    return p


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
    """Read a pair; raises InputError for a missing, foreign or newer-format checkpoint."""
    w = resolve(path)
    s = w.with_suffix(".json")
    try:
        state = json.loads(s.read_text())
        tensors = st.load_file(str(w), device=str(device))
    except (OSError, ValueError, SafetensorError) as e:  # not a safetensors file (e.g. a pickle)
        raise InputError(f"{w}: unreadable checkpoint ({e})") from None
    fmt = state.get("format")
    if fmt != FORMAT_VERSION:
        raise InputError(f"{w}: checkpoint format {fmt!r}; this huafeng reads format {FORMAT_VERSION}")
    return Checkpoint(int(state["step"]), tensors, state, w)


def restore_optimizer(ckpt: Checkpoint, name: str, opt: torch.optim.Optimizer) -> None:
    opt.load_state_dict(_join_optimizer(name, ckpt.state["optimizers"][name], ckpt.tensors))


def generator_for(cfg: RunCfg, num_styles: int = 1) -> nn.Module:
    """The one place a run config becomes a generator, shared by training and export so they agree
    (:func:`huafeng.models.build_generator` is the registry's front door it calls)."""
    from huafeng.models import build_generator as build

    kw = dict(cfg.model.generator_kw)
    if cfg.train.mode == "multi":
        kw["num_styles"] = num_styles
    return _built("model.generator_kw", lambda: build(cfg.model.generator, **kw))


def _built(where: str, make: Any) -> nn.Module:
    """A factory call whose bad values (``width: 0``) become one line naming the recipe key."""
    try:
        return make()  # type: ignore[no-any-return]
    except (ValueError, TypeError, RuntimeError, ZeroDivisionError) as e:
        raise InputError(f"{where}: {str(e).splitlines()[0][:200] if str(e) else type(e).__name__}") from None


def build_networks(cfg: RunCfg, num_styles: int) -> dict[str, nn.Module]:
    """``g``/``d`` (photo → painting, painting critic); ``g_inv``/``d_inv`` in cycle mode.

    ``multi`` gets one D per style (a ModuleList): a shared D would only learn "some painting".
    """
    from huafeng.models import build_discriminator

    def make_d() -> nn.Module:
        return _built(
            "model.discriminator_kw",
            lambda: build_discriminator(cfg.model.discriminator, **cfg.model.discriminator_kw),
        )

    nets: dict[str, nn.Module] = {"g": generator_for(cfg, num_styles)}
    nets["d"] = nn.ModuleList(make_d() for _ in range(num_styles)) if cfg.train.mode == "multi" else make_d()
    if cfg.train.mode == "cycle":
        nets["g_inv"] = generator_for(cfg)
        nets["d_inv"] = make_d()
    return nets


def load_generator(ckpt_path: str | Path, ema: bool = True) -> tuple[nn.Module, RunCfg]:
    """The (EMA) photo → painting generator of a checkpoint, in eval mode, and its config."""
    ckpt = load_checkpoint(ckpt_path)
    cfg = ckpt.config
    g = generator_for(cfg, int(ckpt.state.get("num_styles", 1)))
    weights = ckpt.module_state("g_ema" if ema else "g") or ckpt.module_state("g")
    g.load_state_dict(weights)
    return g.eval(), cfg
