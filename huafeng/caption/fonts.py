"""The font fallback chain: which face draws which character.

Pillow has no font fallback, so a caption such as ``"绝绝子！ me on Monday 😂"`` is split into
*runs* of characters that one face covers (coverage read from each face's ``cmap`` with fontTools)
and every run is drawn with its own face. The faces come from registry packages installed by the
``caption`` extra, never from the system, so every machine renders the same pixels:

- ``manimgx-fonts``: Noto Sans (Latin, Greek, Cyrillic), Noto Sans Hebrew/Arabic, Noto Sans
  Symbols and Noto Emoji (a *monochrome* outline emoji face);
- ``manimgx-fonts-cjk``: Noto Sans CJK (variable weight ``.ttc``; we use the SC face).

**Colour emoji** come from Noto Color Emoji (OFL), which no PyPI package ships in a form Pillow can
draw (the one wheel that carries it has the COLRv1 build, which FreeType in Pillow renders blank),
so it is the one face taken from the system: Debian's ``fonts-noto-color-emoji`` (``make test``
and ``make demo`` install it where they can), or any CBDT/COLRv0 font named by
``HUAFENG_EMOJI_FONT``. It sits before the monochrome face, which still draws emoji when the
colour font is missing (a monochrome glyph beats a tofu box). A CBDT font has bitmaps at one size
only (109 px), so its glyphs are drawn at that size and scaled (:attr:`Face.strike`).

A character no face covers is dropped and reported (never drawn as a tofu box □).
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

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

#: Where systems put Noto Color Emoji (Debian/Ubuntu, Arch, Fedora); HUAFENG_EMOJI_FONT comes first.
COLOR_EMOJI_FILES = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-color-emoji-fonts/NotoColorEmoji.ttf",
)

# Characters that never start a run of their own: they modify the previous character (variation
# selectors, skin tones, ZWJ inside emoji sequences, combining marks) and must stay with its face.
_JOINERS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}


@dataclass(frozen=True)
class Face:
    role: str
    path: Path
    index: int
    cmap: frozenset[int]
    color: bool = False
    """Glyphs carry their own colours (drawn with ``embedded_color``), not the text colour."""
    strike: int = 0
    """A bitmap colour face (CBDT) loads at this pixel size only; 0 = any size (outlines)."""

    def covers(self, ch: str) -> bool:
        return ord(ch) in self.cmap

    def font(self, size: int, weight: int = 900) -> ImageFont.FreeTypeFont:
        """The face at ``size`` px (a bitmap face at its strike: scale by :meth:`scale`)."""
        return _load(self.path, self.index, self.strike or size, weight)

    def scale(self, size: int) -> float:
        return size / self.strike if self.strike else 1.0

    def advance(self, run: str, size: int, weight: int = 900) -> float:
        """How far ``run`` moves the pen at ``size`` px."""
        return float(self.font(size, weight).getlength(run)) * self.scale(size)

    def render_color(self, run: str, size: int) -> tuple[np.ndarray, tuple[float, float]]:
        """``run`` in its own colours: RGBA uint8 and the offset of its top-left from the
        baseline-left anchor ("ls"), both at ``size`` px."""
        return _render_color(self.path, self.index, self.strike, run, size)


@functools.lru_cache(maxsize=512)
def _render_color(
    path: Path, index: int, strike: int, run: str, size: int
) -> tuple[np.ndarray, tuple[float, float]]:
    font = _load(path, index, strike or size, 400)
    left, top, right, bottom = (int(v) for v in font.getbbox(run, anchor="ls"))
    im = PILImage.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((-left, -top), run, font=font, anchor="ls", embedded_color=True)
    s = size / strike if strike else 1.0
    if s != 1.0:
        im = im.resize(
            (max(1, round(im.width * s)), max(1, round(im.height * s))), PILImage.Resampling.LANCZOS
        )
    return np.asarray(im), (left * s, top * s)


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


def color_emoji_file() -> Path | None:
    """The colour emoji font to use, if any (``HUAFENG_EMOJI_FONT``, else a system Noto Color Emoji)."""
    from huafeng.envsettings import env_file

    named = env_file("HUAFENG_EMOJI_FONT")
    if named is not None:
        return named
    return next((Path(p) for p in COLOR_EMOJI_FILES if Path(p).is_file()), None)


def _color_face(path: Path) -> Face | None:
    """A :class:`Face` for a colour font (CBDT bitmaps or COLRv0 layers), or None if unusable."""
    from fontTools.ttLib import TTFont

    try:
        tt = TTFont(str(path), lazy=True)
        try:
            tables = set(tt.keys())
            strike = 0
            if "CBLC" in tables:
                strike = int(tt["CBLC"].strikes[0].bitmapSizeTable.ppemY)
            elif "COLR" not in tables or tt["COLR"].version != 0:
                return None  # COLRv1 (or no colour at all): Pillow would draw nothing
        finally:
            tt.close()
        face = Face("emoji_color", path, 0, _cmap(path, 0), color=True, strike=strike)
        face.font(strike or 32)  # loads, or raises OSError
    except Exception:
        return None
    return face


@functools.lru_cache(maxsize=1)
def default_chain() -> FontChain:
    """The shipped chain; raises :class:`InputError` naming the extra when its fonts are missing."""
    faces: list[Face] = []
    roles: set[str] = set()
    for package, filename, index, role in _FACES:
        path = _find(package, filename)
        if path is None:
            continue
        if role == "emoji":  # the colour face, where there is one, draws emoji before the outline face
            color_path = color_emoji_file()
            color = _color_face(color_path) if color_path is not None else None
            if color is not None:
                faces.append(color)
                roles.add(color.role)
        faces.append(Face(role, path, index, _cmap(path, index)))
        roles.add(role)
    missing = [r for r in _REQUIRED if r not in roles]
    if missing:
        raise InputError(f"no {'/'.join(missing)} font found: {EXTRA_HINT}")
    return FontChain(faces)
