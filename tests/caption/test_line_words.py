"""Chinese line breaks fall between words, particles and emoji stay with what they follow, and
lines are balanced (issue 20, item 2). Each case broke inside a word or left a lone emoji before."""

from __future__ import annotations

import pytest

from huafeng.caption.text import break_lines


def _em(s: str) -> float:
    """One em per CJK character or emoji, half an em per Latin letter or space."""
    return float(sum(1.0 if ord(c) > 0x2000 else 0.5 for c in s))


@pytest.mark.parametrize(
    ("text", "width", "want"),
    [
        ("出去走走吧", 4, ["出去", "走走吧"]),  # was 出去走走 / 吧 or 出 / 去走走吧
        ("可爱到爆炸！", 4.5, ["可爱到", "爆炸！"]),  # was 可爱到爆 / 炸！
        ("这也太好看了吧！！", 5, ["这也太", "好看了吧！！"]),
        ("「你好」世界", 3, ["「你好」", "世界"]),  # kinsoku still holds
    ],
)
def test_breaks_between_words(text: str, width: float, want: list[str]) -> None:
    assert break_lines(text, _em, width) == want


def test_emoji_never_alone_on_a_line() -> None:
    for text in ("今天好开心🌊", "今天好开心🌊🐱", "周末一起出去走走吧🌊"):
        for width in (3, 4, 5, 6):
            lines = break_lines(text, _em, width)
            assert all(any(ord(c) < 0x1F000 for c in ln) for ln in lines), (text, width, lines)


def test_lines_are_balanced() -> None:
    lines = break_lines("make it dreamy and soft please", _em, 8)
    widths = [_em(ln) for ln in lines]
    assert len(lines) == 2 and max(widths) - min(widths) <= 1.0, lines
    # balancing never adds a line
    assert len(break_lines("make it dreamy and soft please", _em, 8, balance=False)) == 2


def test_text_that_fits_is_untouched_and_needs_no_segmenter() -> None:
    assert break_lines("出去走走吧", _em, 10) == ["出去走走吧"]
    assert break_lines("出去\n走走吧", _em, 10) == ["出去", "走走吧"]
