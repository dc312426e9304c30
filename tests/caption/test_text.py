"""Cleaning and kinsoku line breaking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng.caption.fonts import default_chain
from huafeng.caption.text import MAX_CHARS, NO_START, atoms, break_lines, sanitize
from huafeng.errors import InputError


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, "\u200b\u200d\u2060", "\u200e\u202e", "\x00\x07"])
def test_nothing_drawable_is_an_input_error(text: str | None) -> None:
    with pytest.raises(InputError, match=r"empty|no drawable"):
        sanitize(text, default_chain().covers)


def test_controls_zero_width_and_bidi_marks_are_removed() -> None:
    c = sanitize("打\u200b工\x07人\u200f，\u202e冲\tgo\r\nok", default_chain().covers)
    assert c.text == "打工人，冲 go\nok"
    assert not c.dropped


def test_zwj_kept_only_inside_emoji_sequences() -> None:
    assert "\u200d" in sanitize("👩\u200d💻", default_chain().covers).text
    assert "\u200d" not in sanitize("a\u200db", default_chain().covers).text


def test_only_emoji_is_drawable() -> None:
    assert sanitize("😂🎉👍", default_chain().covers).text == "😂🎉👍"


def test_ten_thousand_characters_give_a_clear_error() -> None:
    with pytest.raises(InputError, match=f"at most {MAX_CHARS}"):
        sanitize("绝" * 10_000)


def test_characters_no_font_covers_are_dropped_and_reported() -> None:
    # U+1D400 (math bold A) and a private-use char: no bundled face draws them → no tofu, a note
    c = sanitize("ok \U0001d400 \U000f0000 go", default_chain().covers)
    assert "\U0001d400" not in c.text and "ok" in c.text and "go" in c.text
    assert c.dropped == ("\U0001d400",)  # private use is removed as a control-like category
    assert "U+1D400" in c.notes[0]


def _width(s: str) -> float:
    return 10.0 * len(s)


def test_latin_word_wrap_keeps_words_whole() -> None:
    lines = break_lines("me on monday again", _width, 100.0)
    assert lines == ["me on", "monday", "again"]


def test_kinsoku_example() -> None:
    # width 3 chars: a naive break would start line 2 with "，"
    lines = break_lines("打工人，冲鸭！绝绝子", _width, 30.0)
    assert all(not ln.startswith(tuple(NO_START)) for ln in lines)
    assert "".join(lines) == "打工人，冲鸭！绝绝子"


def test_opening_bracket_never_ends_a_line() -> None:
    lines = break_lines("他说「好耶」", _width, 30.0)
    assert all(not ln.endswith("「") for ln in lines)


CJK = st.sampled_from(
    list("打工人冲鸭绝子今天也要加油我们好耶") + list("，。！？、」』）…：；") + list("「（《")
)
LATIN = st.sampled_from(["me", "on", "Monday", " ", "!", "?", ",", "yyds", "😂"])


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.one_of(CJK, LATIN), min_size=1, max_size=60), width=st.integers(20, 200))
def test_no_line_starts_with_a_forbidden_character(parts: list[str], width: int) -> None:
    text = "".join(parts).strip()
    if not text:
        return
    lines = break_lines(text, _width, float(width))
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost or added
    for ln in lines[1:]:
        assert ln and ln[0] not in NO_START, (text, lines)


def test_atoms_glue_closing_punctuation_to_the_previous_atom() -> None:
    assert atoms("好耶！！") == ["好", "耶！！"]
    assert atoms("hello ！") == ["hello ！"]
