"""The font fallback chain: which face draws which character.

Pillow has no font fallback, so a caption such as ``"绝绝子！ me on Monday 😂"`` is split into
*runs* of characters that one face covers (coverage read from each face's ``cmap`` with fontTools)
and every run is drawn with its own face. The faces come from registry packages installed by the
``caption`` extra, never from the system, so every machine renders the same pixels:

- ``manimgx-fonts``: Noto Sans (Latin, Greek, Cyrillic), Noto Sans Hebrew/Arabic, Noto Sans
  Symbols and Noto Emoji (a *monochrome* outline emoji face: emoji are drawn in the text colour;
  PyPI has no colour emoji font we can ship, and a monochrome glyph beats a tofu box);
- ``manimgx-fonts-cjk``: Noto Sans CJK (variable weight ``.ttc``; we use the SC face).

A character no face covers is dropped and reported (never drawn as a tofu box □).
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from huafeng.errors import InputError

EXTRA_HINT = "captions need the fonts of the [caption] extra: pip install 'huafeng[caption]'"

# (package, file, face index in a collection, role). Order = preference: the first face that
# covers a character draws it. Latin first so English reads in Noto Sans, not CJK's Latin.
_FACES: tuple[tuple[str, str, int, str], ...] = (
    ("manimgx_fonts", "NotoSans[wght].ttf", 0, "latin"),
    ("manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc", 2, "cjk"),  # index 2 = Simplified Chinese
    ("manimgx_fonts", "NotoEmoji[wght].ttf", 0, "emoji"),
    ("manimgx_fonts", "NotoSansSymbols[wght].ttf", 0, "symbols"),
    ("manimgx_fonts", "NotoSansHebrew[wght].ttf", 0, "hebrew"),
    ("manimgx_fonts", "NotoSansArabic[wght].ttf", 0, "arabic"),
    ("manimgx_fonts", "NotoSansThai[wght].ttf", 0, "thai"),
    ("manimgx_fonts", "NotoSansDevanagari[wght].ttf", 0, "devanagari"),
)
_REQUIRED = ("latin", "cjk")

# Characters that never start a run of their own: they modify the previous character (variation
# selectors, skin tones, ZWJ inside emoji sequences, combining marks) and must stay with its face.
_JOINERS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}


@dataclass(frozen=True)
class Face:
    role: str
    path: Path
    index: int
    cmap: frozenset[int]

    def covers(self, ch: str) -> bool:
        return ord(ch) in self.cmap

    def font(self, size: int, weight: int = 900) -> ImageFont.FreeTypeFont:
        return _load(self.path, self.index, size, weight)


@functools.lru_cache(maxsize=256)
def _load(path: Path, index: int, size: int, weight: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(path), size, index=index, layout_engine=ImageFont.Layout.RAQM)
    try:
        axes = font.get_variation_axes()
    except OSError:  # not a variable font
        return font
    values = []
    for ax in axes:
        name = ax["name"]
        is_weight = (name.decode() if isinstance(name, bytes) else str(name)).lower() == "weight"
        lo, hi = float(ax["minimum"] or 0), float(ax["maximum"] or 0)
        v = float(weight if is_weight else (ax["default"] or lo))
        values.append(min(max(v, lo), hi))
    font.set_variation_by_axes(values)
    return font


def _cmap(path: Path, index: int) -> frozenset[int]:
    """Code points the face maps to a glyph; cached on disk (decoding 8 cmaps costs ~1.5 s)."""
    import hashlib

    import numpy as np
    import platformdirs

    st = path.stat()
    key = hashlib.sha1(f"{path}|{index}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = Path(platformdirs.user_cache_dir("huafeng")) / "cmaps" / f"{path.stem}-{key}.npy"
    try:
        return frozenset(np.load(cache).tolist())
    except (OSError, ValueError):
        pass
    from fontTools.ttLib import TTFont

    kw = {"fontNumber": index} if path.suffix.lower() in (".ttc", ".otc") else {}
    tt = TTFont(str(path), lazy=True, **kw)
    try:
        cps = frozenset(tt.getBestCmap() or {})
    finally:
        tt.close()
    try:  # best effort: a read-only cache only costs time
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, np.fromiter(sorted(cps), np.int32))
        os.replace(tmp, cache)
    except OSError:
        pass
    return cps


def _find(package: str, filename: str) -> Path | None:
    try:
        p = Path(str(importlib.resources.files(package) / filename))
    except ModuleNotFoundError:
        return None
    return p if p.is_file() else None


class FontChain:
    """An ordered list of faces; ``runs(text)`` says which face draws each piece of text."""

    def __init__(self, faces: list[Face]) -> None:
        if not faces:
            raise InputError(EXTRA_HINT)
        self.faces = faces

    def face_for(self, ch: str) -> Face | None:
        for face in self.faces:
            if face.covers(ch):
                return face
        return None

    def covers(self, ch: str) -> bool:
        return ord(ch) in _JOINERS or self.face_for(ch) is not None

    def runs(self, text: str) -> list[tuple[str, Face]]:
        """Split ``text`` into maximal runs drawn by one face (joiners stay with their base)."""
        out: list[tuple[str, Face]] = []
        for ch in text:
            cp = ord(ch)
            joins = cp in _JOINERS or 0x1F3FB <= cp <= 0x1F3FF or unicodedata.combining(ch)
            if out and joins:
                out[-1] = (out[-1][0] + ch, out[-1][1])
                continue
            face = self.face_for(ch)
            if face is None:
                continue  # sanitize() already dropped and reported these
            # a ZWJ sequence (👩‍💻) stays in the emoji face even if a part is covered elsewhere
            if out and (out[-1][1] is face or out[-1][0].endswith("\u200d")):
                out[-1] = (out[-1][0] + ch, out[-1][1])
            else:
                out.append((ch, face))
        return out


@functools.lru_cache(maxsize=1)
def default_chain() -> FontChain:
    """The shipped chain; raises :class:`InputError` naming the extra when its fonts are missing."""
    faces: list[Face] = []
    roles: set[str] = set()
    for package, filename, index, role in _FACES:
        path = _find(package, filename)
        if path is None:
            continue
        faces.append(Face(role, path, index, _cmap(path, index)))
        roles.add(role)
    missing = [r for r in _REQUIRED if r not in roles]
    if missing:
        raise InputError(f"no {'/'.join(missing)} font found: {EXTRA_HINT}")
    return FontChain(faces)
