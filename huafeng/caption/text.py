"""Caption text before it meets a font: cleaning, and line breaking with kinsoku rules.

Cleaning turns whatever a user pastes (control characters, zero-width spaces, bidi marks copied
from a chat app, 10 000 characters) into text we can draw or a one-line :class:`InputError`.

Line breaking works on *atoms*: a Latin word, or one CJK character, with the punctuation that may
not begin a line (kinsoku 禁則: ``，。！？」`` …) glued to the atom before it, and the brackets that
may not end a line (``「（《`` …) glued to the atom after it. Greedy filling of atoms then can never
put a forbidden character at the start of a line, and an atom wider than the line (a long word,
``！！！！``) is split only where the rules allow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from huafeng.errors import InputError

MAX_CHARS = 500
"""Longest caption accepted. A meme line is a few dozen characters; 500 already needs a tiny size."""

# JIS X 4051 / W3C clreq "no line start" set (closing brackets, stops, small kana, prolonged sound).
NO_START = frozenset(
    "，。、．,.!?！？：；:;)]}）］｝〕〉》」』】〙〗〟’”｠»"
    "ヽヾーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻‐゠–〜～"
    "…‥・·%‰℃°′″"
    "︐︑︒︓︔︕︖﹂﹄︶︼︾﹀︙"  # their vertical presentation forms (竖排)
)
NO_END = frozenset("([{（［｛〔〈《「『【〘〖〝‘“｟«$￥¥£€#﹁﹃︵︻︽︿")

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u2060\ufeff\u00ad\u180e]")
_ZWJ = "\u200d"


@dataclass(frozen=True)
class CleanText:
    text: str
    dropped: tuple[str, ...] = ()  # characters removed because no font can draw them

    @property
    def notes(self) -> list[str]:
        if not self.dropped:
            return []
        shown = " ".join(f"U+{ord(c):04X}" for c in self.dropped[:8])
        more = f" and {len(self.dropped) - 8} more" if len(self.dropped) > 8 else ""
        return [f"dropped {len(self.dropped)} character(s) no bundled font can draw: {shown}{more}"]


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return cp >= 0x1F000 or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF


def sanitize(
    text: str | None, covers: Callable[[str], bool] | None = None, *, max_chars: int = MAX_CHARS
) -> CleanText:
    """Normalise a caption; raise :class:`InputError` if nothing drawable is left or it is too long.

    - NFC-normalise; ``\\r\\n``/``\\r`` → ``\\n``; tabs → space; other control characters removed;
    - bidi marks and zero-width characters removed (they draw nothing and confuse measurement);
      a ZWJ survives only between two emoji, where it joins a sequence such as 👩‍💻;
    - characters ``covers`` rejects (no face has a glyph) are dropped and listed in ``dropped``.
    """
    if text is None or not text.strip():
        raise InputError("the caption text is empty")
    t = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    t = _BIDI.sub("", _ZERO_WIDTH.sub("", t))
    kept: list[str] = []
    for i, ch in enumerate(t):
        if ch == _ZWJ:
            nxt = t[i + 1] if i + 1 < len(t) else ""
            if kept and _is_emoji(kept[-1]) and nxt and _is_emoji(nxt):
                kept.append(ch)
            continue
        if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            continue
        kept.append(ch)
    t = "\n".join(line.strip() for line in "".join(kept).split("\n")).strip("\n")
    t = re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \u3000]{2,}", " ", t))
    if len(t) > max_chars:
        raise InputError(
            f"the caption is {len(t)} characters long; at most {max_chars} fit legibly on a picture"
        )
    dropped: list[str] = []
    if covers is not None:
        ok = []
        for ch in t:
            if ch in "\n " or covers(ch):
                ok.append(ch)
            else:
                dropped.append(ch)
        t = "".join(ok).strip()
    if not t.strip():
        why = " (no bundled font can draw any of its characters)" if dropped else ""
        raise InputError(f"the caption has no drawable characters{why}")
    return CleanText(t, tuple(dropped))


# ------------------------------------------------------------------------------------ breaking


def _is_cjk(ch: str) -> bool:
    """Characters that can break on either side (ideographs, kana, hangul, fullwidth forms, emoji)."""
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3FFFF
        or _is_emoji(ch)
    )


def atoms(paragraph: str) -> list[str]:
    """Unbreakable pieces of one paragraph; spaces stay attached to the end of the atom before."""
    raw: list[str] = []
    word = ""
    for ch in paragraph:
        if ch == " ":
            word += ch
            raw.append(word)
            word = ""
        elif _is_cjk(ch) or ch in NO_START or ch in NO_END:
            if word:
                raw.append(word)
            raw.append(ch)
            word = ""
        elif word.endswith(" "):
            raw.append(word)
            word = ch
        else:
            word += ch
    if word:
        raw.append(word)
    # glue: NO_START to the previous atom; NO_END to the next one; joiners and marks stay put
    glued: list[str] = []
    carry = ""
    for a in raw:
        a = carry + a
        carry = ""
        if a[-1] in NO_END and not a.endswith(" "):
            carry = a
            continue
        if glued and (a[0] in NO_START or _joins(a[0])):
            glued[-1] += a
        else:
            glued.append(a)
    if carry:
        if glued:
            glued[-1] += carry
        else:
            glued.append(carry)
    return glued


def _joins(ch: str) -> bool:
    cp = ord(ch)
    return cp in (0x200D, 0xFE0E, 0xFE0F) or 0x1F3FB <= cp <= 0x1F3FF or bool(unicodedata.combining(ch))


def _split_atom(atom: str, measure: Callable[[str], float], width: float) -> list[str]:
    """Break an atom wider than the line only between characters the rules allow."""
    pieces: list[str] = []
    cur = ""
    for i, ch in enumerate(atom):
        if cur and measure(cur + ch) > width and _can_break(atom, i):
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        pieces.append(cur)
    return pieces


def _can_break(s: str, i: int) -> bool:
    return s[i] not in NO_START and s[i - 1] not in NO_END and not _joins(s[i])


def break_lines(text: str, measure: Callable[[str], float], width: float) -> list[str]:
    """Greedy line filling under kinsoku rules; explicit ``\\n`` always breaks.

    ``measure`` returns the advance of a string at the current size. A line may still overflow
    when the rules leave no legal break (``"！！！！"``); auto-fit then shrinks the size.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for atom in atoms(para):
            if cur and not cur.strip():
                cur = ""  # only the space left over from splitting a too-wide word: no blank line
            if measure((cur + atom).rstrip()) <= width or not cur:
                cur += atom
                if measure(cur.rstrip()) > width:  # a single atom wider than the line
                    *done, cur = _split_atom(cur, measure, width)
                    lines.extend(p.rstrip() for p in done)
            else:
                lines.append(cur.rstrip())
                cur = atom
                if measure(cur.rstrip()) > width:
                    *done, cur = _split_atom(cur, measure, width)
                    lines.extend(p.rstrip() for p in done)
        lines.append(cur.rstrip())
    return lines
