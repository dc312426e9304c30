"""Caption text before it meets a font: cleaning, and line breaking with kinsoku rules.

Cleaning turns whatever a user pastes (control characters, zero-width spaces, bidi marks copied
from a chat app, 10 000 characters) into text we can draw or a one-line :class:`InputError`.

Line breaking works on *atoms*: a Latin word, or a Chinese word (jieba, when a paragraph needs
breaking at all), or one other CJK character, with the punctuation that may not begin a line
(kinsoku 禁則: ``，。！？」`` …), sentence-final particles (``吧了呢`` …) and emoji glued to the
atom before it, and the brackets that may not end a line (``「（《`` …) glued to the atom after it.
Greedy filling of atoms then can never split "出去" or put a forbidden character or a lone emoji at
the start of a line, and an atom wider than the line (a long word, ``！！！！``) is split only where
the rules allow. The lines are then *balanced*: the narrowest width that needs no more lines than
greedy filling (CSS ``text-wrap: balance``), so a caption is never one long line over one word.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
# Sentence-final and aspect particles: "走走 / 吧" reads as broken, so they stay with the word before.
PARTICLES = frozenset("吧了的吗呢啊呀哦啦嘛么哇哈呗咯")
MAX_WORD = 6
"""Longer jieba words (rare: idioms, names) may break inside, as single characters do."""
_HAN_RUN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]{2,}")

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


@functools.cache
def _tokenizer() -> Any:
    """A private jieba tokenizer (its dictionary loads once, ~0.6 s, only when a break is needed)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def _no_break_before(paragraph: str) -> set[int]:
    """Indices that continue the atom before them: inside a Chinese word, a particle, an emoji."""
    keep: set[int] = set()
    for m in _HAN_RUN.finditer(paragraph):
        pos = m.start()
        for w in _tokenizer().cut(m.group(), HMM=True):
            if len(w) <= MAX_WORD:
                keep.update(range(pos + 1, pos + len(w)))
            pos += len(w)
    for i in range(1, len(paragraph)):
        ch, before = paragraph[i], paragraph[i - 1]
        if (ch in PARTICLES and _is_cjk(before)) or (_is_emoji(ch) and before != " "):
            keep.add(i)
    return keep


def atoms(paragraph: str, *, words: bool = False) -> list[str]:
    """Unbreakable pieces of one paragraph; spaces stay attached to the end of the atom before.

    ``words``: keep Chinese words, particles and emoji with what precedes them (jieba)."""
    keep = _no_break_before(paragraph) if words else set()
    raw: list[str] = []
    word = ""
    for i, ch in enumerate(paragraph):
        if ch == " ":
            word += ch
            raw.append(word)
            word = ""
        elif _is_cjk(ch) or ch in NO_START or ch in NO_END:
            if word:
                raw.append(word)
                word = ""
            if i in keep and raw and not raw[-1].endswith(" "):
                raw[-1] += ch
            else:
                raw.append(ch)
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
        elif cur[1:] and measure(cur + ch) > width and _is_emoji(ch) and _can_break(atom, i - 1):
            pieces.append(cur[:-1])  # an emoji takes the character before it to the next line
            cur = cur[-1] + ch
        else:
            cur += ch
    if cur:
        pieces.append(cur)
    return pieces


def _can_break(s: str, i: int) -> bool:
    lone_emoji = _is_emoji(s[i]) and s[i - 1] != " "
    return s[i] not in NO_START and s[i - 1] not in NO_END and not _joins(s[i]) and not lone_emoji


def break_lines(
    text: str, measure: Callable[[str], float], width: float, *, balance: bool = True
) -> list[str]:
    """Lines under kinsoku rules, breaking between words, balanced; ``\\n`` always breaks.

    ``measure`` returns the advance of a string at the current size. A line may still overflow
    when the rules leave no legal break (``"！！！！"``); auto-fit then shrinks the size.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        pieces = atoms(para, words=measure(para) > width)
        got = _fill(pieces, measure, width)
        if balance and len(got) > 1:
            got = _balanced(pieces, measure, width, len(got))
        lines.extend(got)
    return lines


def _balanced(pieces: list[str], measure: Callable[[str], float], width: float, n: int) -> list[str]:
    """Greedy filling at the narrowest width (binary search) that still gives ``n`` lines."""
    widest = max(measure(a.rstrip()) for a in pieces)
    lo, hi = min(widest, width), width
    for _ in range(12):
        mid = (lo + hi) / 2
        if len(_fill(pieces, measure, mid)) <= n:
            hi = mid
        else:
            lo = mid
    return _fill(pieces, measure, hi)


def _fill(pieces: list[str], measure: Callable[[str], float], width: float) -> list[str]:
    """Greedy line filling of one paragraph's atoms."""
    lines: list[str] = []
    cur = ""
    for atom in pieces:
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
