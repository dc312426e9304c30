"""Everyday phrases as style commands: "来点复古感，淡一点" or "make it dreamy, keep the colours".

``parse_ask(phrase)`` turns what people actually say into :class:`AskParse` (style, filters,
strength, colour keeping), and ``AskParse.apply(opts)`` folds it into
:class:`~huafeng.infer.StylizeOptions`. How a phrase is read:

Steps 1-3 are :mod:`huafeng.caption.ask_terms`.

1. **Normalise**: NFKC (full-width ｉｎｓ → ins), lower case, invisible and control characters
   removed, US spelling (colour → color).
2. **Segment**: Chinese runs with jieba, every Chinese term of the lexicon added as a user word so
   淡一点 or 赛博朋克 stay whole; everything else as word tokens (b&w, don't, 50%, emoji).
   Punctuation is kept as a clause boundary: "不要，黑白" does not negate 黑白.
3. **Match** the lexicon (``lexicon/ask.yaml``) on token sequences, longest term first, so
   "a bit more" beats "a bit". Terms are tokenised by the same function, so a term matches exactly
   when its tokens appear, however jieba happens to cut the sentence around it.
4. **Read** the matched items left to right: effects (styles, filters, moods), strength modifiers
   with degree words (稍微淡一点 ×0.8, 淡一点 ×0.6, 再淡一点 ×0.36), negation of the next item
   (不要黑白, 不要太浓; "no filter" drops every filter the phrase itself does not name)
   and strength numbers ("50%", "强度 0.3").

Styles are concepts resolved against the styles installed *now* (``list_styles()``): 水墨 means
``ink_shanshui`` today and whichever ink-wash model a user installs tomorrow. Torch-free.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from huafeng.caption.ask_terms import (
    BOUNDARY,
    CJK,
    match_terms,
    normalise,
    term_table,
    term_table_for,
    tokenize,
    zh_number,
)
from huafeng.caption.lexicon import Lexicon, Meaning, StyleConcept, load_lexicon
from huafeng.errors import InputError
from huafeng.infer.engine import StylizeOptions
from huafeng.infer.styles import StyleInfo, list_styles

MAX_PHRASE_CHARS = 500
"""A request, not a document: longer input is refused before jieba sees it."""
LOWER, SOFT_STEP, STRONG_STEP, TOUCH, FAINT = 0.6, 0.5, 2.0, 0.75, 0.35
"""淡一点 multiplies strength by LOWER; 稍微/再 raise that to the power 0.5 / 2; said alone, 稍微
(a bit, slightly) = TOUCH and 一点点 (a tiny bit, a hint) = FAINT: "slightly vintage" is most of the
look, a little softened (what people who had not seen the lexicon expected), a hint of it is a trace."""
MIN_STRENGTH = 0.05
#: Looks that can stand alone as a style, painterly first: "油画, 黑白" is a black-and-white painting.
_LOOK_ORDER = ("oil_painting", "watercolor", "pencil_sketch", "cartoon", "neon", "retro", "sepia", "bw")
PHOTO = "photo"
"""The no-painting look: a phrase that names only filters (ins风, 胶片) gets the photo plus them,
never the default painting model."""
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)(%?)$")


@dataclass(frozen=True)
class AskParse:
    """What a phrase asks for. ``None`` / empty = the phrase said nothing about that option."""

    style: str | None
    """An installed style name, or None to keep the caller's."""
    filters: tuple[str, ...]
    """Filters to add after the style, in phrase order."""
    strength: float | None
    preserve_color: bool | None
    matched: tuple[tuple[str, str], ...]
    """(words as said, what they were understood as), in phrase order."""
    unknown: tuple[str, ...]
    """Words not understood (reported, not fatal when something else was understood)."""
    excluded: tuple[str, ...] = ()
    """Filters the phrase ruled out ("不要黑白"); ``"*"`` = all of them ("no filter")."""
    look_as_style: bool = False
    """``style`` is a filter look promoted because no style was named: an explicit style turns it
    back into a filter (``-s starry_night --ask 油画`` = Starry Night plus the oil filter)."""
    notes: tuple[str, ...] = field(default=())
    """Things understood but not possible here (a style concept with nothing installed)."""

    def with_style(self, style: str) -> AskParse:
        """The parse under an explicit ``--style``, which wins over the phrase's."""
        filters = self.filters
        if self.look_as_style and self.style not in (None, PHOTO):
            filters = (self.style, *filters)
        return replace(self, style=style, filters=filters, look_as_style=False)

    def apply(self, opts: StylizeOptions) -> StylizeOptions:
        """``opts`` with the phrase's filters, strength and colour choice folded in."""
        kept = () if "*" in self.excluded else tuple(f for f in opts.filters if f not in self.excluded)
        filters = kept + tuple(f for f in self.filters if f not in kept)
        return replace(
            opts,
            filters=filters,
            strength=opts.strength if self.strength is None else self.strength,
            preserve_color=opts.preserve_color if self.preserve_color is None else self.preserve_color,
        )

    def merge(
        self,
        opts: StylizeOptions,
        *,
        strength: bool = False,
        preserve_color: bool = False,
        filters: bool = False,
    ) -> StylizeOptions:
        """``opts`` with the phrase folded in, but every option the user set explicitly wins.

        The flags say which of ``opts`` were given explicitly (the CLI's typed flags, the API's
        sent fields). Explicit filters are all kept, even against a phrase's 不要黑白; the phrase's
        own filters are added after them. One rule for the command line and the service.
        """
        asked = self.apply(opts)
        keep: dict[str, Any] = {}
        if strength:
            keep["strength"] = opts.strength
        if preserve_color:
            keep["preserve_color"] = opts.preserve_color
        if filters:
            keep["filters"] = opts.filters + tuple(f for f in self.filters if f not in opts.filters)
        return replace(asked, **keep)

    def warnings(self) -> list[str]:
        """One line per thing the user should know: words not understood, impossible requests."""
        out = list(self.notes)
        if self.unknown:
            words = ", ".join(repr(w) for w in self.unknown)
            out.append(f"not understood: {words} (see `huafeng ask --help` for the words huafeng knows)")
        return out

    def to_flags(self) -> list[str]:
        """The equivalent ``huafeng stylize`` flags (for ``huafeng ask``)."""
        flags: list[str] = []
        if self.style is not None:
            flags += ["-s", self.style]
        for f in self.filters:
            flags += ["-f", f]
        if self.strength is not None:
            flags += ["--strength", f"{self.strength:g}"]
        if self.preserve_color:
            flags.append("--preserve-color")
        return flags

    def to_dict(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "filters": list(self.filters),
            "strength": self.strength,
            "preserve_color": self.preserve_color,
            "excluded": list(self.excluded),
            "matched": [list(m) for m in self.matched],
            "unknown": list(self.unknown),
            "notes": list(self.notes),
            "flags": self.to_flags(),
        }


# --------------------------------------------------------------------------------- parsing


@dataclass
class _State:
    """The left-to-right reading: what is pending, what has been decided."""

    styles: Sequence[StyleInfo]
    concepts: dict[str, StyleConcept]
    style: str | None = None
    filters: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    strength: float | None = None
    preserve_color: bool | None = None
    matched: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    negate: str | None = None  # the negation word waiting for its target
    degree: tuple[str, str] | None = None  # (word, "soft"/"strong") waiting for its modifier
    number_word: str | None = None  # "强度" waiting for its number
    last_mod: tuple[float, bool, int] | None = None  # (strength before, up?, index in matched)
    color_noun: str | None = None  # "颜色" waiting for its verb in this clause
    color_verb: tuple[str, bool] | None = None  # (words, keeps the colours?) waiting for its noun
    style_broad: bool = False  # the style came from a broad concept that a specific one may refine

    def said(self, words: str, what: str) -> None:
        self.matched.append((words, what))

    def scale(self, factor: float, base: float | None = None) -> None:
        s = (1.0 if self.strength is None else self.strength) if base is None else base
        self.strength = round(min(1.0, max(MIN_STRENGTH, s * factor)), 2)

    def flush_degree(self) -> None:
        """A degree word with no modifier after it speaks for itself: 稍微复古 = a touch of it."""
        if self.degree is not None:
            word, kind = self.degree
            self.degree = None
            self.scale({"soft": TOUCH, "faint": FAINT}.get(kind, 1.0 / LOWER))
            self.said(word, f"strength={self.strength:g}")

    def boundary(self) -> None:
        self.flush_degree()
        if self.color_noun is not None and self.color_verb is None and self.negate is not None:
            self.preserve_color = False  # 颜色就不要了, no colours: the photo's colours are not wanted
            self.said(f"{self.color_noun} {self.negate}", "preserve_color=false")
        self.negate = self.number_word = self.last_mod = None
        self.color_noun = self.color_verb = None


def parse_ask(
    phrase: str, *, styles: Sequence[StyleInfo] | None = None, lexicon: Lexicon | None = None
) -> AskParse:
    """Read an everyday phrase (Chinese, English or both) into stylize options.

    ``styles`` defaults to what is installed now (``list_styles()``); ``lexicon`` to the shipped
    one. Raises :class:`InputError` for an empty or over-long phrase, or one in which nothing at
    all was understood (the message lists what is); words not understood next to words that were
    end up in ``unknown``.
    """
    if not isinstance(phrase, str):
        raise InputError(f"the phrase must be text, not {type(phrase).__name__}")
    if len(phrase) > MAX_PHRASE_CHARS:
        raise InputError(f"the phrase is {len(phrase)} characters; keep it under {MAX_PHRASE_CHARS}")
    text = normalise(phrase)
    if not text:
        raise InputError(f"empty phrase. {understood_summary()}")
    lex = lexicon or load_lexicon()
    table = term_table() if lexicon is None else term_table_for(lexicon)
    st = _State(list_styles() if styles is None else styles, lex.concepts)
    for words, meaning in match_terms(tokenize(text), table):
        _read(st, words, meaning)
    st.boundary()
    if not st.matched:
        shown = ", ".join(repr(w) for w in st.unknown) or repr(phrase.strip()[:40])
        raise InputError(f"could not understand {shown}. {understood_summary()}")
    return _finish(st)


def _read(st: _State, words: str, meaning: Meaning | str | None) -> None:
    if meaning == BOUNDARY:
        st.boundary()
        return
    if meaning is None:
        _read_unknown(st, words)
        return
    assert isinstance(meaning, Meaning)
    kind = meaning.kind
    if kind == "filler":
        return
    last_mod, st.last_mod = st.last_mod, None
    if kind in ("soft", "faint", "strong") and last_mod is not None and st.degree is None:
        _degree_after(st, words, kind, last_mod)  # 淡一点点, lighter by a lot
    elif kind == "negation":
        st.flush_degree()
        st.negate = words
    elif kind in ("soft", "faint", "strong"):
        if st.degree is not None:
            st.flush_degree()
        st.degree = (words, kind)
    elif kind in ("lower", "higher"):
        _read_modifier(st, words, kind)
    elif kind == "numbers":
        st.flush_degree()
        st.number_word = words
    elif kind == "half":
        st.flush_degree()
        st.strength = 0.5
        st.said(words, "strength=0.5")
        st.negate = None
    elif kind in ("color_noun", "change_verb", "keep_verb", "own_colors", "style_colors"):
        _read_color(st, words, kind)
    elif kind == "filter_word":
        st.flush_degree()
        if st.negate is not None:  # general: drops the caller's filters, not ones this phrase names
            st.excluded = ["*"]
            st.said(f"{st.negate} {words}", "no filters")
            st.negate = None
    else:
        st.flush_degree()
        _read_effect(st, words, meaning)


def _read_color(st: _State, words: str, kind: str) -> None:
    """The colour clause (see ``color_nouns`` in ask.yaml): a colour word plus a keep verb, or a
    change verb negated before it, keeps the photo's colours; an un-negated change verb drops them."""
    if kind == "color_noun":
        st.color_noun = words
    else:
        keep = kind in ("keep_verb", "own_colors")
        if st.negate is not None:  # 不要改 = keep; 不保留 = do not keep
            words = f"{st.negate}{words}" if CJK.search(words) else f"{st.negate} {words}"
            keep, st.negate = not keep, None
        st.color_verb = (words, keep)
    if st.color_noun is not None and st.color_verb is not None:
        verb, keep = st.color_verb
        noun = st.color_noun
        said = f"{noun}{verb}" if kind != "color_noun" else f"{verb}{noun}"
        if not CJK.search(said):
            said = f"{noun} {verb}" if kind != "color_noun" else f"{verb} {noun}"
        st.preserve_color = keep
        st.said(said, f"preserve_color={str(keep).lower()}")
        st.color_noun = st.color_verb = None


def _read_unknown(st: _State, word: str) -> None:
    zh = zh_number(word)
    if zh is not None and 0.0 <= zh <= 1.0:
        st.flush_degree()
        st.strength = round(max(MIN_STRENGTH, zh), 2)
        st.said(f"{st.number_word} {word}" if st.number_word else word, f"strength={st.strength:g}")
        st.number_word = st.negate = None
        return
    m = _NUMBER.match(word)
    if m and (m.group(2) or st.number_word is not None):
        value = float(m.group(1))
        value = value / 100.0 if m.group(2) or value > 1.0 else value
        if 0.0 <= value <= 1.0:
            st.flush_degree()
            st.strength = round(max(MIN_STRENGTH, value), 2)
            said = f"{st.number_word} {word}" if st.number_word else word
            st.said(said, f"strength={st.strength:g}")
            st.number_word = st.negate = None
            return
    st.unknown.append(word)
    st.negate = st.number_word = None


def _read_modifier(st: _State, words: str, kind: str) -> None:
    up = kind == "higher"
    step = 1.0
    if st.degree is not None:
        dword, dkind = st.degree
        st.degree = None
        words = f"{dword}{words}" if CJK.search(words) else f"{dword} {words}"
        step = STRONG_STEP if dkind == "strong" else SOFT_STEP
    if st.negate is not None:  # 不要太浓 = lighter, plainly: the "too" is not a doubling
        words = f"{st.negate}{words}" if CJK.search(words) else f"{st.negate} {words}"
        up, step, st.negate = not up, 1.0, None
    before = 1.0 if st.strength is None else st.strength
    st.scale((1.0 / LOWER) ** step if up else LOWER**step)
    st.said(words, f"strength={st.strength:g}")
    if step == 1.0:
        st.last_mod = (before, up, len(st.matched) - 1)


def _degree_after(st: _State, words: str, kind: str, last_mod: tuple[float, bool, int]) -> None:
    """A degree word right after a modifier re-sizes it: 淡一点点 = a little lighter."""
    before, up, idx = last_mod
    step = STRONG_STEP if kind == "strong" else SOFT_STEP
    st.scale((1.0 / LOWER) ** step if up else LOWER**step, base=before)
    said = st.matched[idx][0]
    st.matched[idx] = (
        f"{said}{words}" if CJK.search(said) else f"{said} {words}",
        f"strength={st.strength:g}",
    )


def _read_effect(st: _State, words: str, meaning: Meaning) -> None:
    if st.negate is not None:
        said = f"{st.negate}{words}" if CJK.search(words) else f"{st.negate} {words}"
        st.negate = None
        what = []
        for f in meaning.filters:
            if f in st.filters:
                st.filters.remove(f)
            if f not in st.excluded:
                st.excluded.append(f)
            what.append(f"-filter {f}")
        if meaning.preserve_color is not None:
            st.preserve_color = not meaning.preserve_color
            what.append(f"preserve_color={str(st.preserve_color).lower()}")
        if meaning.concept is not None:
            what.append(f"not {meaning.concept}")
            if st.style is not None and st.style in _candidates(st, st.concepts[meaning.concept]):
                st.style = None
        st.said(said, ", ".join(what))
        return
    what = []
    if meaning.concept is not None:
        concept = st.concepts[meaning.concept]
        found = _candidates(st, concept)
        if not found:
            st.notes.append(f"{words!r} asks for a {concept.id} style, but none is installed")
            what.append(f"style {concept.id}: none installed")
        elif st.style is None or (st.style_broad and not concept.broad and found[0] != st.style):
            refined = st.style
            st.style, st.style_broad = found[0], concept.broad
            what.append(f"style={st.style}" + (f" (refines {refined})" if refined else ""))
        else:
            what.append(f"style {found[0]} (ignored: already {st.style})")
    for f in meaning.filters:
        if f in st.excluded:  # said later, so it wins: "不要黑白…算了还是黑白"
            st.excluded.remove(f)
        if f not in st.filters:
            st.filters.append(f)
        what.append(f"+filter {f}")
    if meaning.preserve_color is not None:
        st.preserve_color = meaning.preserve_color
        what.append(f"preserve_color={str(meaning.preserve_color).lower()}")
    st.said(words, ", ".join(what))


def _candidates(st: _State, concept: StyleConcept) -> list[str]:
    """Installed styles for a concept: preferred names first, then its traditions' neural styles."""
    by_name = {s.name: s for s in st.styles}
    out = [n for n in concept.prefer if n in by_name]
    for tradition in concept.traditions:
        out += sorted(
            s.name for s in st.styles if s.kind == "onnx" and s.tradition == tradition and s.name not in out
        )
    return out


def _finish(st: _State) -> AskParse:
    style, filters, promoted = st.style, list(st.filters), False
    if style is None and filters:
        installed = {s.name for s in st.styles}
        looks = [f for f in _LOOK_ORDER if f in filters and f in installed]
        if looks:  # "油画" alone paints the photo in oil rather than oil over the default painting
            style, promoted = looks[0], True
            filters.remove(style)
            # say so where the phrase is echoed (the page's "understood" line): a style, not a filter
            st.matched = [
                (w, what.replace(f"+filter {style}", f"style={style} (a look on the photo)", 1))
                for w, what in st.matched
            ]
        elif PHOTO in installed:  # "ins风": the photo with its filters, not the default painting
            style, promoted = PHOTO, True
    return AskParse(
        style=style,
        filters=tuple(filters),
        strength=st.strength,
        preserve_color=st.preserve_color,
        matched=tuple(st.matched),
        unknown=tuple(st.unknown),
        excluded=tuple(st.excluded),
        look_as_style=promoted,
        notes=tuple(st.notes),
    )


def understood_summary() -> str:
    """One paragraph of examples of what ``--ask`` understands (for error messages and help)."""
    return (
        "huafeng understands styles (国风/水墨/ink, 浮世绘/ukiyo-e, 梵高/van gogh, 呐喊/the scream, "
        "康定斯基/abstract, 油画/oil painting, 水彩/watercolor, 素描/sketch, 卡通/anime), "
        "looks (复古/vintage, 黑白/b&w, 老照片/old, 胶片/film, 赛博朋克/neon, 日系, ins风, "
        "氛围感/moody, 梦幻/dreamy), "
        "strength (淡一点/lighter, 淡淡的, 稍微/a bit, 浓一点/stronger, 超淡, 50%, 七成), "
        "colours (保留颜色/keep the colours, 颜色别动) and negation (不要黑白, no filter)."
    )
