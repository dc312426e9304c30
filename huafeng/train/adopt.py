"""Adopt a style made by ``learn-style`` from ``../shared/data`` into the shipped library (its card).

Why: a learnt style's card records the absolute paths it was trained on (``data.root: /``) and, with no
MANIFEST.csv at that root, "unknown" licences. A shipped card must instead name the data relative to
the data folder (as the library's cards do, ``root: ../shared/data``), carry every MANIFEST licence of
its paintings and photos, name its tradition, and hold the palette descriptor ``--style-image`` ranks
by. The training record (steps, minutes, hardware, base attribution) is kept as it is.
Used by ``scripts/adopt_learnt.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from huafeng.errors import InputError
from huafeng.train.cards import manifest_licences
from huafeng.train.library import paintings_descriptor

DATA_ROOT = "../shared/data"


def _relative(paths: list[str], data: Path) -> list[str]:
    root = data.resolve()
    return [str(Path(p).resolve().relative_to(root)) for p in paths]


def adopt_card(
    card: dict[str, Any], name: str, tradition: str, data: Path, description: str = ""
) -> dict[str, Any]:
    """``card`` with its data named relative to ``data``, MANIFEST licences, name and tradition.

    A shipped style is graded on the evaluation hold-out, so one trained on a held-out file is refused."""
    from huafeng.splits import is_heldout

    manifest = data / "MANIFEST.csv"
    out = dict(card, name=name, tradition=tradition)
    summary: dict[str, Any] = {"root": DATA_ROOT}
    licences: set[str] = set()
    # style: what the critic saw (and, without separate references, the Gram targets);
    # style_images: the Gram targets when the critic saw a wider collection (learn-style critic_images)
    sets = {w: card["data"][w]["entries"] for w in ("content", "style")}
    sets["style_images"] = list(card["data"].get("style_images") or [])
    negatives = card["data"].get("critic_negatives")  # other traditions the critic called fake
    if negatives:
        sets["critic_negatives"] = negatives["entries"]
    for what, entries in sets.items():
        rel = _relative(entries, data)
        held = [r for r in rel if is_heldout(r)]
        if held:
            raise InputError(f"{held[0]}: a held-out file was used in training; it cannot ship")
        counts = manifest_licences(manifest, [data / r for r in rel])
        summary[what] = {"entries": rel, "images": len(rel), "licences": counts}
        licences |= set(counts)
    summary["style_images"] = summary["style_images"]["entries"]
    out["data"] = summary
    config = json.loads(json.dumps(card["config"]))
    config |= {"name": name, "tradition": tradition, "license": "; ".join(sorted(licences))}
    config |= {"description": description} if description else {}
    config["data"] |= {
        "exclude_heldout": True,  # checked above: no entry is held out
        "root": DATA_ROOT,
        "content": summary["content"]["entries"],
        "style": summary["style"]["entries"],
        "samples": _relative(config["data"].get("samples") or [], data),
        "style_reference": summary["style_images"],
    }
    if negatives:
        config["data"]["critic_negatives"] = summary["critic_negatives"]["entries"]
    out["config"] = config
    out["license"] = sorted(licences)
    described = summary["style_images"] or summary["style"]["entries"]  # the paintings it paints like
    out["descriptor"] = paintings_descriptor([data / p for p in described])
    out.pop("paintings", None)
    return out
