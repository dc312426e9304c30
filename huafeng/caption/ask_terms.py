"""Reading a phrase into lexicon terms: normalise, segment (jieba for Chinese runs, word tokens
for the rest, ``|`` at punctuation) and match the lexicon longest-first. :mod:`huafeng.caption.ask`
reads the matched terms as a grammar."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from huafeng.caption.lexicon import Lexicon, Meaning, load_lexicon

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_WORD = re.compile(r"\w+(?:['&.\-]\w+)*%?")
BOUNDARY = "|"
"""The token standing for punctuation: a clause boundary."""
_MAX_TERM_TOKENS = 6


def normalise(text: str) -> str:
    """NFKC, lower case, no controls/zero-width/variation selectors, US spelling, one space."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] == "C" or "\ufe00" <= ch <= "\ufe0f":  # Cc Cf Cs Co Cn: invisible or broken
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        else:
            kept.append(ch)
    text = "".join(kept).replace("colour", "color").replace("grey", "gray")
    return " ".join(text.split())


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    """A private jieba tokenizer (the global one stays untouched) knowing every lexicon term."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr
    tk = jieba.Tokenizer()
    for term in load_lexicon().terms:
        for run in CJK.findall(normalise(term)):
            if len(run) > 1:
                tk.add_word(run)
    return tk


def tokenize(text: str) -> list[str]:
    """Tokens of normalised ``text``: jieba words, word tokens, symbols; ``|`` at punctuation."""
    tokens: list[str] = []
    pos = 0
    for m in CJK.finditer(text):
        tokens += _other_tokens(text[pos : m.start()])
        tokens += [w for w in _jieba().cut(m.group(), HMM=False) if w.strip()]
        pos = m.end()
    tokens += _other_tokens(text[pos:])
    return tokens


def _other_tokens(text: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(text):
        m = _WORD.match(text, i)
        if m:
            out.append(m.group())
            i = m.end()
            continue
        ch = text[i]
        cat = unicodedata.category(ch)
        if ch in "&+" or cat in ("Sm", "Sk", "Pc", "Pd"):  # connectors: "black & white", "国风 + 胶片"
            pass
        elif cat.startswith("P"):
            out.append(BOUNDARY)
        elif not ch.isspace() and cat[0] in "SLN":  # emoji and other symbols are words too
            out.append(ch)
        i += 1
    return out


@functools.lru_cache(maxsize=1)
def term_table() -> dict[tuple[str, ...], tuple[str, Meaning]]:
    """Token sequence -> (term, meaning) for the shipped lexicon."""
    return term_table_for(load_lexicon())


def term_table_for(lex: Lexicon) -> dict[tuple[str, ...], tuple[str, Meaning]]:
    table: dict[tuple[str, ...], tuple[str, Meaning]] = {}
    for term, meaning in lex.terms.items():
        key = tuple(t for t in tokenize(normalise(term)) if t != BOUNDARY)
        if key and len(key) <= _MAX_TERM_TOKENS:
            table.setdefault(key, (term, meaning))
    return table


def _split(token: str, table: dict[tuple[str, ...], tuple[str, Meaning]]) -> list[str] | None:
    """A Chinese token the lexicon does not know, cut into the fewest pieces it does know, or None.

    jieba keeps everyday compounds whole (淡淡的, 超淡, 改色, 颜色别动), so the grammar of degree,
    reduplication and negation is applied to their parts: 超|淡, 淡淡|的, 改|色, 颜色|别|动.
    """
    if len(token) < 2 or not CJK.fullmatch(token):
        return None
    best: list[list[str] | None] = [None] * (len(token) + 1)
    best[0] = []
    for i in range(len(token)):
        done = best[i]
        if done is None:
            continue
        for j in range(i + 1, min(len(token), i + _MAX_TERM_CHARS) + 1):
            later = best[j]
            if (token[i:j],) in table and (later is None or len(done) + 1 < len(later)):
                best[j] = [*done, token[i:j]]
    found = best[len(token)]
    return found if found is not None and len(found) > 1 else None


_MAX_TERM_CHARS = 6
_REDUPLICATES = ("lower", "higher")
"""淡淡 / 浓浓: a modifier said twice in a row is said once, softly (reduplication), not twice."""


def match_terms(tokens: list[str], table: dict[tuple[str, ...], tuple[str, Meaning]]) -> list[Any]:
    """Longest-first lexicon match: [(words, Meaning | None | "|")]."""
    out: list[Any] = []
    tokens = list(tokens)
    i = 0
    while i < len(tokens):
        if tokens[i] == BOUNDARY:
            out.append((BOUNDARY, BOUNDARY))
            i += 1
            continue
        for n in range(min(_MAX_TERM_TOKENS, len(tokens) - i), 0, -1):
            hit = table.get(tuple(tokens[i : i + n]))
            if hit is not None:
                joiner = "" if CJK.search(hit[0]) else " "
                words = joiner.join(tokens[i : i + n])
                prev = out[-1] if out else None
                if not (prev and prev[0] == words and hit[1].kind in _REDUPLICATES):
                    out.append((words, hit[1]))
                i += n
                break
        else:
            pieces = _split(tokens[i], table)
            if pieces is not None:
                tokens[i : i + 1] = pieces
                continue
            out.append((tokens[i], None))
            i += 1
    return out


_ZH_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_ZH_TENTHS = re.compile(r"^([一二两三四五六七八九十]|\d+(?:\.\d+)?)成$")
_ZH_PERCENT = re.compile(r"^百分之([一二两三四五六七八九十]{1,3}|\d+(?:\.\d+)?)$")


def zh_number(word: str) -> float | None:
    """七成 = 0.7, 百分之三十 = 0.3 (strength words people write in Chinese), else None."""
    m = _ZH_TENTHS.match(word)
    if m:
        v = m.group(1)
        return (_ZH_DIGITS[v] if v in _ZH_DIGITS else float(v)) / 10.0
    m = _ZH_PERCENT.match(word)
    if m:
        v = m.group(1)
        if v[0].isdigit():
            return float(v) / 100.0
        tens, _, ones = v.partition("十")
        n = (_ZH_DIGITS.get(tens, 1) * 10 + _ZH_DIGITS.get(ones, 0)) if "十" in v else _ZH_DIGITS[v]
        return n / 100.0
    return None
