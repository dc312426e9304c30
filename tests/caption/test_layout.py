"""Fitting, vertical 竖排 geometry and rasterisation."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng.caption import layout as L
from huafeng.caption.fonts import default_chain
from huafeng.errors import InputError


def test_fit_is_the_largest_size_that_fits() -> None:
    chain = default_chain()
    spec = L.TextSpec()
    b = L.fit("打工人，冲鸭！me on Monday", chain, (300, 200), spec)
    assert b.width + 2 * b.pad <= 300 and b.height + 2 * b.pad <= 200 and not b.overflow
    bigger = L.layout(
        "打工人，冲鸭！me on Monday", chain, b.size + 1, 300 - 2 * L._pad_for(b.size + 1, spec), spec
    )
    assert bigger.overflow or bigger.width + 2 * bigger.pad > 300 or bigger.height + 2 * bigger.pad > 200


def test_too_long_for_the_box_is_an_input_error() -> None:
    with pytest.raises(InputError, match="does not fit"):
        L.fit("绝" * 400, default_chain(), (64, 64), L.TextSpec())


def test_vertical_columns_run_right_to_left_and_top_to_bottom() -> None:
    b = L.fit("床前明月光，疑是地上霜。", default_chain(), (300, 260), L.TextSpec(vertical=True))
    assert len(b.lines) >= 2
    xs = [x for x, *_ in b.items]
    # first column is the rightmost; within a column y grows by one em per character
    cols: dict[float, list[float]] = {}
    for x, y, *_ in b.items:
        cols.setdefault(x, []).append(y)
    assert xs[0] == max(xs) and xs[-1] == min(xs)
    for ys in cols.values():
        assert np.allclose(np.diff(ys), b.size)
    # stops turn into their vertical forms, which may not start a column
    assert "︐" in "".join(b.lines) and "。" not in "".join(b.lines)
    assert all(col[0] not in "︐︒" for col in b.lines)


def test_vertical_raster_is_taller_than_wide_for_one_column() -> None:
    b = L.fit("好耶好耶", default_chain(), (200, 400), L.TextSpec(vertical=True))
    fill, _, _ = L.rasterise(b)
    ys, xs = np.nonzero(fill > 0.5)
    assert np.ptp(ys) > 3 * np.ptp(xs)


def test_outline_contains_fill_and_typewriter_draws_a_prefix() -> None:
    b = L.fit("ab 打工", default_chain(), (300, 100), L.TextSpec())
    fill, outline, _ = L.rasterise(b)
    assert (outline >= fill - 1e-6).all() and outline.sum() > fill.sum()
    part, _, _ = L.rasterise(b, upto=2)
    assert 0 < part.sum() < fill.sum()
    assert (part <= fill + 1e-6).all()  # same positions: a prefix draws a subset of the pixels


def test_missing_fonts_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from huafeng.caption import fonts

    monkeypatch.setattr(fonts, "_find", lambda package, filename: None)
    fonts.default_chain.cache_clear()
    try:
        with pytest.raises(InputError, match=r"huafeng\[caption\]"):
            fonts.default_chain()
    finally:
        monkeypatch.undo()
        fonts.default_chain.cache_clear()
    assert fonts.default_chain().faces[0].role == "latin"
