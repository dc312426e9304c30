"""The shipped style library: one multi-style fine-tune of the pretrained base, exported row by row.

Why one run for all styles: the base's convolutions are frozen, so a style is only its rows of the
norm tables, and training every row together costs the same compute as training them one after
another — but it is one process to budget, checkpoint and resume, and the all-in-one model (mixable
with ``--mix``, because rows interpolate) falls out of it for free. Each shipped style is then a
slice (:func:`huafeng.models.pretrained.select_styles`) with its own model card: the data of *its*
paintings with their MANIFEST licences, the run's config, steps, minutes, hardware, and the
attribution of the base (Apache-2.0, ``NOTICE``).

Names, traditions and the descriptions users read come from ``configs/library/styles.yaml``, written
after looking at the contact sheet (``docs/styles.md``), not before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from huafeng.cfgtools import to_dict
from huafeng.config import RunCfg, apply_data_root, load_config
from huafeng.errors import InputError

STYLES_FILE = Path(__file__).resolve().parents[2] / "configs" / "library" / "styles.yaml"
#: The mixable multi-style model and its four-style slice (a name users already have).
ALL_IN_ONE = "painterly"
FOUR = ("four_traditions", ("starry_night", "great_wave", "ink_shanshui", "water_lilies"))


def _tiny(cfg: RunCfg) -> RunCfg:
    """The first three styles only: the ``--tiny`` pipeline check."""
    d, kw = cfg.data, dict(cfg.model.generator_kw)
    for k in ("init_styles", "init_onnx"):  # per-row lists follow the rows
        if kw.get(k):
            kw[k] = list(kw[k])[:3]
    return replace(
        cfg,
        model=replace(cfg.model, generator_kw=kw),
        data=replace(d, style=d.style[:3], style_names=d.style_names[:3]),
    )


def prepare(
    recipe: Path, run: Path, *, sets: Sequence[str] = (), data: Path | None = None, tiny: bool = False
) -> RunCfg:
    """The run's config: the one a run folder already holds (resume), else the recipe with its
    starting base styles picked (:mod:`huafeng.train.base_pick`) and written in."""
    saved = run / "config.yaml"
    if saved.is_file() and (run / "checkpoints").is_dir():
        cfg = load_config(saved, list(sets))
        return apply_data_root(cfg, data) if data is not None else cfg
    cfg = load_config(recipe, list(sets))
    if data is not None:
        cfg = apply_data_root(cfg, data)
    if tiny:
        cfg = _tiny(cfg)
    kw = dict(cfg.model.generator_kw)
    if not kw.get("init_styles"):
        kw["init_styles"] = pick_init_styles(cfg)
        cfg = replace(cfg, model=replace(cfg.model, generator_kw=kw))
    return cfg


def pick_init_styles(cfg: RunCfg) -> list[int]:
    """The nearest base style for every style group of ``cfg`` (a few photos, ≤ 8 paintings each)."""
    import torch

    from huafeng.data.folders import find_images
    from huafeng.train.base_pick import pick_for_files

    torch.manual_seed(0)
    d = cfg.data
    groups = [find_images(d, entries, what="painting") for entries in d.style_groups()]
    return pick_for_files(find_images(d, d.content, what="photo"), groups, border=d.style_border)


def train_library(cfg: RunCfg, run: Path, *, progress: bool = True, minutes: float | None = None) -> Any:
    """Train (or resume) the multi-style run in ``run``; ``minutes``: stop cleanly (checkpoint
    written) after that much training time, as a lent GPU's budget needs."""
    from huafeng.train.checkpoint import find_latest
    from huafeng.train.loop import train

    resume = find_latest(run / "checkpoints") is not None
    deadline = minutes * 60.0 if minutes is not None else None
    return train(cfg, run, resume=resume, progress=progress, deadline_s=deadline)


# ------------------------------------------------------------------------------------- export


def style_table(path: Path = STYLES_FILE) -> dict[str, dict[str, Any]]:
    """``name → {tradition, description, default?}`` from ``configs/library/styles.yaml``."""
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping of style names")
    return {str(k): dict(v or {}) for k, v in raw.items()}


def _slice_cfg(cfg: RunCfg, rows: Sequence[int], name: str, info: dict[str, Any]) -> RunCfg:
    """The run's config narrowed to ``rows``: what a single style's card reports as its data."""
    d = cfg.data
    style = tuple(d.style[r] for r in rows)
    names = tuple(d.style_names[r] for r in rows) if len(rows) > 1 else ()
    mode = cfg.train.mode if len(rows) > 1 else "style"
    return replace(
        cfg,
        name=name,
        tradition=str(info.get("tradition", cfg.tradition)),
        description=str(info.get("description", cfg.description)),
        data=replace(d, style=style, style_names=names),
        train=replace(cfg.train, mode=mode),
    )


def _licence(data_card: dict[str, Any], fallback: str) -> str:
    """The most restrictive reading: every licence among the style's paintings, and the photos'."""
    found: list[str] = []
    for part in ("style", "content"):
        lic = (data_card.get(part) or {}).get("licences") or {}
        found += [k for k in lic if k not in found]
    return "; ".join(found) if found else fallback


def _descriptor(cfg: RunCfg) -> list[float]:
    from huafeng.data.folders import find_images

    return paintings_descriptor(find_images(cfg.data, cfg.data.style_entries(), what="painting"))


def paintings_descriptor(paths: Sequence[Path]) -> list[float]:
    """The instant-mode descriptor (:mod:`huafeng.infer.instant`) of up to 16 of a style's paintings,
    spread over the list: what a card holds for ``--style-image`` to rank by."""
    from huafeng.imageio import read_image
    from huafeng.infer.instant import mean_descriptor

    picked = paths[:: max(1, len(paths) // 16)][:16]
    return mean_descriptor([read_image(p).rgb for p in picked])


def export_library(
    run: Path, out: Path, *, overwrite: bool = False, styles_file: Path = STYLES_FILE
) -> list[Path]:
    """Every row of the run's checkpoint as a shipped style, plus the all-in-one and the four slice."""
    from huafeng.models.pretrained import ATTRIBUTION, PretrainedCIN, select_styles
    from huafeng.train import cards
    from huafeng.train import export as ex
    from huafeng.train.checkpoint import load_checkpoint, load_generator, resolve

    ckpt_path = resolve(run)
    g, cfg = load_generator(ckpt_path, ema=True)
    if not isinstance(g, PretrainedCIN):
        raise InputError(f"{run}: not a library run (generator {cfg.model.generator!r}, not magenta_cin)")
    ck = load_checkpoint(ckpt_path)
    names = list(cfg.data.style_names) or [f"style{k}" for k in range(len(cfg.data.style))]
    table = style_table(styles_file)
    plan: list[tuple[str, list[int]]] = [(n, [k]) for k, n in enumerate(names)]
    plan.append((ALL_IN_ONE, list(range(len(names)))))
    if all(n in names for n in FOUR[1]):
        plan.append((FOUR[0], [names.index(n) for n in FOUR[1]]))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in plan:
        info = table.get(name, {})
        scfg = _slice_cfg(cfg, rows, name, info)
        data_card = cards.data_card(scfg)
        card = {
            "name": name,
            "tradition": scfg.tradition,
            "initialised_from": ATTRIBUTION,
            "base_styles": [g.init_styles[r] for r in rows],
            "steps": ck.step,
            "steps_note": f"one multi-style run over {len(names)} styles; each style's rows saw "
            f"about 1/{len(names)} of the photos",
            "weights": "ema",
            "data": data_card,
            "config": to_dict(cfg),
            "final_metrics": cards.last_metrics(run),
            "training": cards.training_card(ck.state, run, ckpt_path),
            "license": _licence(data_card, cfg.license),
            "measured": info.get("measured", {}),
            "note": info.get("note", ""),
            "descriptor": _descriptor(scfg) if len(rows) == 1 else None,
        }
        meta = {
            "huafeng.name": name,
            "huafeng.tradition": scfg.tradition or "unspecified",
            "huafeng.description": scfg.description or name,
            "huafeng.license": card["license"],
            "huafeng.card": json.dumps(card, ensure_ascii=False, default=str),
        }
        if info.get("default"):
            meta["huafeng.default"] = "1"
        if len(rows) > 1:
            meta["huafeng.style_names"] = json.dumps([names[r] for r in rows], ensure_ascii=False)
        path = out / f"{name}.onnx"
        if path.exists() and not overwrite:
            raise InputError(f"{path}: exists (pass --overwrite)")
        model = select_styles(g, rows)
        ex.export_onnx(model, path, metadata=meta, example_size=(256, 256))
        written.append(path)
    return written
