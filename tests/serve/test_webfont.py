"""The page's packaged Chinese font covers every Chinese character the page itself shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from huafeng.infer.traditions import TRADITIONS

STATIC = Path(__file__).resolve().parents[2] / "huafeng" / "serve" / "static"
WOFF = STATIC / "fonts" / "noto-sans-sc-subset.woff"
CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def test_the_font_is_small_static_and_covers_the_page() -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    font = ttlib.TTFont(str(WOFF))
    assert WOFF.read_bytes()[:4] == b"wOFF" and WOFF.stat().st_size < 4_000_000
    cmap = font.getBestCmap()
    page = "".join(p.read_text(encoding="utf-8") for p in (STATIC / "index.html", STATIC / "app.js"))
    page += "".join(zh for zh, _ in TRADITIONS.values())
    missing = sorted({c for c in CJK.findall(page) if ord(c) not in cmap})
    assert missing == []
    assert all(ord(c) in cmap for c in "复古一点，日系小清新，赛博朋克")  # what users type in "Say it"


def test_the_stylesheet_loads_it_only_for_cjk() -> None:
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    assert 'url("/fonts/noto-sans-sc-subset.woff")' in css and "unicode-range" in css
