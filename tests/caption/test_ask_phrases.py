"""The phrase test set (phrases.yaml, zh + en): every phrase parses to exactly what it lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from huafeng.caption.ask import parse_ask
from huafeng.errors import InputError
from huafeng.infer.styles import StyleInfo, list_styles

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "phrases.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def shipped() -> list[StyleInfo]:
    """Shipped styles only: a style in the developer's own style folder must not change the answers."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUAFENG_STYLES_DIR", str(Path(__file__).parent / "no-such-folder"))
        return list_styles()


def test_set_is_big_and_bilingual() -> None:
    phrases = [c["phrase"] for c in CASES]
    assert len(phrases) >= 100 and len(set(phrases)) == len(phrases)
    zh = [p for p in phrases if any("\u4e00" <= ch <= "\u9fff" for ch in p)]
    assert len(zh) >= 40 and len(phrases) - len(zh) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["phrase"] for c in CASES])
def test_phrase(case: dict[str, Any], shipped: list[StyleInfo]) -> None:
    if case.get("error"):
        with pytest.raises(InputError, match="huafeng understands"):
            parse_ask(case["phrase"], styles=shipped)
        return
    got = parse_ask(case["phrase"], styles=shipped)
    assert got.style == case.get("style")
    assert list(got.filters) == case.get("filters", [])
    assert got.strength == pytest.approx(case["strength"]) if "strength" in case else got.strength is None
    assert got.preserve_color == case.get("preserve_color")
    assert list(got.excluded) == case.get("excluded", [])
    assert list(got.unknown) == case.get("unknown", [])
    assert len(got.notes) == case.get("notes", 0)
    assert got.matched, "an accepted phrase records what it understood"
