"""Model cards: what a shipped model was trained on (images and their MANIFEST.csv licences), on
what hardware, for how long, and its last logged losses. Style and repair exports both use them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from huafeng.errors import InputError


def manifest_licences(manifest: Path, paths: Sequence[Path]) -> dict[str, int]:
    """Count the MANIFEST.csv licence of every training image: a model card must carry it on."""
    import csv

    if not manifest.is_file():
        return {"unknown (no MANIFEST.csv beside the data)": len(paths)}
    wanted = {p.resolve() for p in paths}
    counts: dict[str, int] = {}
    with manifest.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if (manifest.parent / row["file"]).resolve() in wanted:
                lic = row.get("license", "").strip() or "unknown"
                counts[lic] = counts.get(lic, 0) + 1
    missing = len(wanted) - sum(counts.values())
    if missing > 0:
        counts["not in MANIFEST.csv"] = missing
    return counts


def _cfg_licences(cfg: Any, paths: Sequence[Path]) -> dict[str, int]:
    return manifest_licences(Path(cfg.data.path(cfg.data.manifest or "MANIFEST.csv")), paths)


def data_card(cfg: Any) -> dict[str, Any]:
    """What the model was trained on: folders, image counts and their licences, style references,
    and the critic's negatives (other traditions' paintings: they shaped the model too)."""
    from huafeng.data.folders import find_images

    card: dict[str, Any] = {"root": str(cfg.data.root)}
    sets = [("content", cfg.data.content, None), ("style", cfg.data.style_entries(), cfg.data.manifest_label)]
    if cfg.data.critic_negatives:
        sets.append(("critic_negatives", cfg.data.critic_negatives, None))
    for what, entries, label in sets:
        try:
            paths = find_images(cfg.data, entries, what=what, label_regex=label)
        except InputError:  # data moved since training: say so rather than fail the export
            card[what] = {"entries": list(entries), "images": None}
            continue
        card[what] = {
            "entries": list(entries),
            "images": len(paths),
            "licences": _cfg_licences(cfg, paths),
        }
    card["style_images"] = [str(cfg.data.path(p)) for p in cfg.data.style_reference]
    return card


def training_card(state: dict[str, Any], run_dir: Path, ckpt_path: Path) -> dict[str, Any]:
    """Hardware and time to this checkpoint, as the loop recorded them.

    Checkpoints from before the loop recorded them fall back to wall-clock minutes between the run's
    ``config.yaml`` and the checkpoint file (which includes time spent waiting for a busy CPU).
    """
    if "train_seconds" in state:
        return {
            "hardware": state.get("hardware", "unrecorded"),
            "train_minutes": round(float(state["train_seconds"]) / 60, 1),
            "time_basis": "loop compute time, summed over resumes",
        }
    cfg_file = run_dir / "config.yaml"
    if cfg_file.is_file():
        minutes = (ckpt_path.stat().st_mtime - cfg_file.stat().st_mtime) / 60
        return {
            "hardware": "unrecorded",
            "train_minutes": round(minutes, 1),
            "time_basis": "wall clock, config.yaml to checkpoint",
        }
    return {"hardware": "unrecorded"}


def last_metrics(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return {}
    last: dict[str, Any] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                last = json.loads(line)
            except ValueError:
                continue
    return last
