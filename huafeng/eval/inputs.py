"""What ``huafeng eval`` grades against: the protocol's photos, a style's paintings, its tradition's.

* photos: the protocol's named files inside ``--content`` (else ``n_content`` spread evenly over the
  sorted folder), resized to the protocol's side and centre-cropped square (:func:`square`);
* a style's reference paintings: its model card's ``style_images``, else ``data.style.entries``
  (paths absolute or relative to ``--data``; absolute paths from another machine are re-rooted);
* its tradition's Fréchet set: the tradition classifier's **held-out** paintings in file-hash order,
  minus any painting the style was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import InputError
from huafeng.eval.classifier import collect, is_test
from huafeng.eval.protocol import Protocol
from huafeng.imageio import list_images, resize


def square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shorter side to ``size`` (area down / bicubic up), centre crop to ``size``²."""
    h, w = rgb.shape[:2]
    s = size / min(h, w)
    r = resize(rgb, (max(size, round(w * s)), max(size, round(h * s))))
    top, left = (r.shape[0] - size) // 2, (r.shape[1] - size) // 2
    return np.ascontiguousarray(r[top : top + size, left : left + size])


def select_photos(content: Path, protocol: Protocol) -> list[Path]:
    """The protocol's named photos inside ``content``, else ``n_content`` spread over the folder."""
    if content.is_file():
        return [content]
    if not content.is_dir():
        raise InputError(f"{content}: content folder not found")
    named = [content / n for n in protocol.content if (content / n).exists()]
    if named:
        return named[: protocol.n_content]
    items = list_images([content])
    if not items:
        raise InputError(f"{content}: no images")
    n = min(protocol.n_content, len(items))
    return [items[round(i * (len(items) - 1) / max(n - 1, 1))] for i in range(n)]


def _resolve(p: str, data_root: Path) -> Path | None:
    for cand in (Path(p), data_root / p):
        if cand.exists():
            return cand
    marker = "/data/"  # absolute paths from another machine: re-root them at --data
    if marker in p and (data_root / p.split(marker, 1)[1]).exists():
        return data_root / p.split(marker, 1)[1]
    return None


def style_refs(card: dict[str, Any], data_root: Path) -> list[Path]:
    """The paintings a style paints like: its Gram references (``style_images`` of the card or of its
    ``data``) when it names them, else what it trained on (``data.style.entries``).

    A style learnt with a wider critic collection (learn-style ``critic_images``) lists that collection
    under ``data.style`` and its 8 Gram paintings under ``data.style_images``: the peer and the contact
    sheet get the 8, the paintings it was taught to look like."""
    data = card.get("data")
    raw: list[str] = list(card.get("style_images") or [])
    if isinstance(data, dict):
        raw += list(data.get("style_images") or [])
    if not raw and isinstance(data, dict) and isinstance(data.get("style"), dict):
        raw = list(data["style"].get("entries") or [])
    config = card.get("config")
    data_cfg = config.get("data") if isinstance(config, dict) else None
    heldout_excluded = isinstance(data_cfg, dict) and bool(data_cfg.get("exclude_heldout"))
    found: list[Path] = []
    for r in raw:
        if any(c in str(r) for c in "*?["):  # a glob entry (great_wave: nst_wave*.jpg)
            found += [q for q in sorted(data_root.glob(str(r))) if q.is_file()]
            continue
        p = _resolve(str(r), data_root)
        if p is None:
            continue
        if p.is_dir():
            # what training saw: a recipe with exclude_heldout never read the folder's held-out files
            found += [q for q in list_images([p]) if not (heldout_excluded and _is_heldout(q, data_root))]
        else:
            found.append(p)
    return list(dict.fromkeys(found))


def _is_heldout(path: Path, data_root: Path) -> bool:
    from huafeng.splits import is_heldout, relpath_under

    rel = relpath_under(path, data_root)
    return rel is not None and is_heldout(rel)


def tradition_paintings(cls: str, data_root: Path, n: int, exclude: Sequence[Path]) -> list[Path]:
    """``n`` of the tradition's classifier-held-out paintings (hash order), minus ``exclude``."""
    names = {p.name for p in exclude}
    files = [
        data_root / s.relpath
        for s in collect(data_root, 10**6)
        if s.label == cls and is_test(s.relpath) and Path(s.relpath).name not in names
    ]
    return files[:n]
