"""The held-out split: which shared-data files no training run may see, so evaluation is honest.

One rule for training and grading alike (:mod:`huafeng.eval.classifier` grades on exactly these):
a file is held out when the SHA-1 of its path relative to the data root falls in the lowest
``HELDOUT_PERCENT`` of the hash range, or when an evaluation protocol names it. A hash of the path
is stable and independent of which other files exist, so adding images never moves old ones across.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from pathlib import Path

import yaml

HELDOUT_PERCENT = 25


def file_hash(relpath: str) -> int:
    return int(hashlib.sha1(relpath.encode()).hexdigest()[:8], 16)


@functools.cache
def protocol_photos() -> frozenset[str]:
    """``content/<name>`` of every photo a shipped evaluation protocol names."""
    folder = importlib.resources.files("huafeng").joinpath("eval", "protocols")
    names: set[str] = set()
    for p in folder.iterdir():
        if p.name.endswith(".yaml"):
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            names |= {f"content/{n}" for n in raw.get("content") or ()}
    return frozenset(names)


def is_heldout(relpath: str) -> bool:
    """True for files reserved for evaluation (``relpath`` as in MANIFEST.csv, ``/``-separated)."""
    return file_hash(relpath) % 100 < HELDOUT_PERCENT or relpath in protocol_photos()


def relpath_under(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` in MANIFEST form, or None when it lies outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
