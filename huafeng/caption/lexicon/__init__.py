"""The everyday-phrase vocabulary behind ``--ask``: data in ``ask.yaml``, checked when loaded.

The words live in YAML so that adding 新词 or slang is a data edit with a test row, not a code
change. Loading turns the file into one flat ``term -> Meaning`` table (the parser only ever
asks "what does this word sequence mean?") and refuses a file where one term means two things,
a filter is not registered, or a mood names a style concept that does not exist: a silent
clash there would make a phrase's meaning depend on YAML order.
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from huafeng.infer.filters import FILTERS

Kind = Literal[
    "effect",
    "lower",
    "higher",
    "soft",
    "strong",
    "numbers",
    "half",
    "negation",
    "filter_word",
    "color_noun",
    "change_verb",
    "keep_verb",
    "own_colors",
    "style_colors",
    "faint",
    "filler",
]
_STRENGTH_KINDS: tuple[Kind, ...] = ("lower", "higher", "soft", "faint", "strong", "numbers", "half")


@dataclass(frozen=True)
class StyleConcept:
    """A kind of style ("ink painting"), resolved against the installed styles at parse time."""

    id: str
    prefer: tuple[str, ...]
    """Style names to take first, in order, when installed."""
    traditions: tuple[str, ...]
    """Else any installed neural style whose ``tradition`` is one of these (in this order)."""
    broad: bool = False
    """A family (水墨, van gogh) that a more specific concept said later in the phrase refines."""


@dataclass(frozen=True)
class Meaning:
    """What one term asks for. Only ``kind == "effect"`` carries options."""

    kind: Kind
    concept: str | None = None
    filters: tuple[str, ...] = ()
    preserve_color: bool | None = None


@dataclass(frozen=True)
class Lexicon:
    concepts: dict[str, StyleConcept]
    terms: dict[str, Meaning]
    """Raw term as written in the file (before tokenisation) -> its meaning."""


def _words(entry: Any, where: str) -> list[str]:
    # bool is refused by name: YAML 1.1 reads a bare `no` as False, and "False" is not a word
    if not isinstance(entry, list) or not all(
        isinstance(w, (str, int)) and not isinstance(w, bool) for w in entry
    ):
        raise ValueError(f"ask lexicon: {where} must be a list of words (quote yes/no/on/off)")
    return [str(w) for w in entry]


def parse_lexicon(data: dict[str, Any]) -> Lexicon:
    """Build and check a :class:`Lexicon` from the YAML structure (see ``ask.yaml``)."""
    concepts: dict[str, StyleConcept] = {}
    terms: dict[str, Meaning] = {}

    def add(word: str, meaning: Meaning, where: str) -> None:
        key = word.strip().casefold()
        if not key:
            raise ValueError(f"ask lexicon: empty word in {where}")
        old = terms.get(key)
        if old is not None and old != meaning:
            raise ValueError(f"ask lexicon: {word!r} means two things ({where} and an earlier entry)")
        terms[key] = meaning

    for cid, spec in (data.get("styles") or {}).items():
        concepts[cid] = StyleConcept(
            cid, tuple(spec.get("prefer") or ()), tuple(spec.get("traditions") or ()), bool(spec.get("broad"))
        )
        for w in _words(spec.get("words"), f"styles.{cid}"):
            add(w, Meaning("effect", concept=cid), f"styles.{cid}")
    for name, words in (data.get("filters") or {}).items():
        FILTERS.get(name)  # an unregistered filter is a broken lexicon, said at load
        for w in _words(words, f"filters.{name}"):
            add(w, Meaning("effect", filters=(name,)), f"filters.{name}")
    for i, mood in enumerate(data.get("moods") or ()):
        concept, filters = mood.get("style"), tuple(mood.get("filters") or ())
        if concept is not None and concept not in concepts:
            raise ValueError(f"ask lexicon: moods[{i}] names unknown style concept {concept!r}")
        for f in filters:
            FILTERS.get(f)
        pc = mood.get("preserve_color")
        meaning = Meaning("effect", concept=concept, filters=filters, preserve_color=pc)
        for w in _words(mood.get("words"), f"moods[{i}]"):
            add(w, meaning, f"moods[{i}]")
    strength = data.get("strength") or {}
    for kind in _STRENGTH_KINDS:
        for w in _words(strength.get(kind, []), f"strength.{kind}"):
            add(w, Meaning(kind), f"strength.{kind}")
    for kind, key in (
        ("negation", "negation"),
        ("filter_word", "filter_words"),
        ("color_noun", "color_nouns"),
        ("change_verb", "change_verbs"),
        ("keep_verb", "keep_verbs"),
        ("own_colors", "own_colors"),
        ("style_colors", "style_colors"),
        ("filler", "filler"),
    ):
        for w in _words(data.get(key, []), key):
            add(w, Meaning(kind), key)  # type: ignore[arg-type]
    return Lexicon(concepts, terms)


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The shipped lexicon (cached), or one from ``path`` (tests, experiments)."""
    if path is None:
        return _shipped()
    return parse_lexicon(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=1)
def _shipped() -> Lexicon:
    text = importlib.resources.files(__name__).joinpath("ask.yaml").read_text(encoding="utf-8")
    return parse_lexicon(yaml.safe_load(text))
