"""Evaluation protocols: which images, at which size, resized how, with which seeds.

A protocol file (``huafeng/eval/protocols/<name>.yaml``) fixes everything a figure depends on, so a
number in a report can be reproduced and two reports compared: the content photos (by name inside
``--content``), how they are resized before stylizing, how many of each tradition's **held-out**
paintings form the Fréchet reference set, the synthetic video used for the warping error, and the
seed. Metric resolution is not a protocol choice: it is part of every metric's name (``_256``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from huafeng.errors import InputError, UnknownNameError

PROTOCOL_DIR = Path(__file__).parent / "protocols"


@dataclass(frozen=True)
class Protocol:
    """One evaluation protocol (see ``protocols/standard.yaml`` for every field explained)."""

    name: str
    description: str = ""
    content: tuple[str, ...] = ()
    """Photo file names inside ``--content``; empty = ``n_content`` spread over the sorted folder."""
    n_content: int = 8
    stylize_side: int = 384
    """Photos are resized to this shorter side and centre-cropped square before stylizing."""
    resize: str = "area when shrinking, bicubic when enlarging (huafeng.imageio.resize)"
    paintings_per_tradition: int = 16
    """Size of each tradition's Fréchet reference set, from the classifier's held-out split."""
    gram_reference: str = "style"
    """``style``: Gram distance to the paintings the style names (its card); ``heldout``: to its
    tradition's held-out paintings (the Fréchet set) — what a tradition model is judged by."""
    video_frames: int = 6
    """Synthetic pan over the first photo for the warping error (0 = skip)."""
    video_shift: int = 4
    latency_repeats: int = 3
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        if self.n_content < 1 or self.stylize_side < 64 or self.paintings_per_tradition < 2:
            raise InputError(
                f"protocol {self.name!r}: need n_content >= 1, stylize_side >= 64, "
                "paintings_per_tradition >= 2"
            )
        if self.video_frames == 1 or self.video_frames < 0 or self.latency_repeats < 1 or self.threads < 1:
            raise InputError(
                f"protocol {self.name!r}: video_frames is 0 or >= 2; latency_repeats, threads >= 1"
            )

        if self.gram_reference not in ("style", "heldout"):
            raise InputError(f"protocol {self.name!r}: gram_reference is 'style' or 'heldout'")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["content"] = list(self.content)
        return d


def list_protocols() -> list[str]:
    return sorted(p.stem for p in PROTOCOL_DIR.glob("*.yaml"))


def load_protocol(name_or_path: str | Path) -> Protocol:
    """A shipped protocol by name (``standard``, ``tiny``) or a YAML file."""
    p = Path(name_or_path)
    if not p.suffix:
        p = PROTOCOL_DIR / f"{name_or_path}.yaml"
        if not p.exists():
            raise UnknownNameError(
                f"unknown protocol {name_or_path!r}; shipped: {', '.join(list_protocols())}"
            )
    if not p.exists():
        raise InputError(f"{p}: protocol file not found")
    raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    known = {f.name for f in fields(Protocol)}
    unknown = set(raw) - known
    if unknown:
        raise InputError(f"{p}: unknown protocol fields {sorted(unknown)}; known: {sorted(known)}")
    raw.setdefault("name", p.stem)
    raw["content"] = tuple(raw.get("content") or ())
    return Protocol(**raw)
