"""--ask against phrases written by someone who never saw the lexicon (issue: looks that added the
default painting, 赛博朋克 read as Kandinsky, "old"/"Japanese" not understood, degree words and
negated keep-the-colours phrasing missed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from huafeng import imageio
from huafeng.caption.ask import parse_ask
from huafeng.infer.styles import StyleInfo, list_styles

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ask_accuracy", ROOT / "benchmarks" / "ask_accuracy.py")
assert _spec is not None and _spec.loader is not None
ask_accuracy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ask_accuracy)


@pytest.fixture(scope="module")
def shipped() -> list[StyleInfo]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUAFENG_STYLES_DIR", str(Path(__file__).parent / "no-such-folder"))
        return list_styles()


def test_outside_sets_are_read_as_their_writer_meant(shipped: list[StyleInfo]) -> None:
    """Dev set (the lexicon was tuned on it) and holdout set (never read by the tuner): before the
    grammar they scored 0.52 and 0.51 whole-phrase; docs/captions.md has today's figures."""
    dev = ask_accuracy.score(ask_accuracy.SETS["dev"], shipped)
    held = ask_accuracy.score(ask_accuracy.SETS["holdout"], shipped)
    assert dev["cases"] >= 60 and held["cases"] >= 60
    assert dev["whole"] >= 0.95, dev["wrong"]
    assert held["whole"] >= 0.70


@pytest.mark.parametrize(
    "phrase", ["ins风", "日系小清新", "胶片感", "film look", "vignette please", "氛围感拉满"]
)
def test_a_look_alone_never_adds_a_painting(phrase: str, shipped: list[StyleInfo]) -> None:
    got = parse_ask(phrase, styles=shipped)
    kinds = {s.name: s.kind for s in shipped}
    assert got.style is not None and kinds[got.style] == "filter", got


@pytest.mark.parametrize(
    ("phrase", "style"),
    [
        ("赛博朋克", "neon"),
        ("cyberpunk vibes", "neon"),
        ("make it old", "sepia"),
        ("Japanese style", "ukiyoe"),
        ("写意牡丹", "peony_ink"),
        ("van gogh pen drawing", "vangogh_drawing"),
        ("琳派屏风", "edo_rinpa"),
    ],
)
def test_named_looks_and_refined_styles(phrase: str, style: str, shipped: list[StyleInfo]) -> None:
    assert parse_ask(phrase, styles=shipped).style == style


@pytest.mark.parametrize(
    ("phrase", "lo", "hi"),
    [
        ("水墨，淡淡的", 0.45, 0.8),
        ("浓浓的油画", 0.99, 1.0),
        ("超淡", 0.0, 0.45),
        ("淡很多", 0.0, 0.45),
        ("稍微复古", 0.7, 0.95),
        ("a tiny bit of vignette", 0.0, 0.45),
        ("有点淡", 0.7, 0.95),
        ("七成强度", 0.7, 0.7),
        ("百分之三十", 0.3, 0.3),
        ("dont go overboard with the retro", 0.45, 0.8),
    ],
)
def test_degree_grammar(phrase: str, lo: float, hi: float, shipped: list[StyleInfo]) -> None:
    s = parse_ask(phrase, styles=shipped).strength
    assert s is not None and lo - 1e-6 <= s <= hi + 1e-6


@pytest.mark.parametrize(
    ("phrase", "keep"),
    [
        ("不要改颜色", True),
        ("颜色别动", True),
        ("不要变颜色水墨", True),
        ("别改色", True),
        ("颜色保持", True),
        ("don't touch the colors", True),
        ("leave the colours alone", True),
        ("颜色用我照片自己的", True),
        ("换个颜色", False),
        ("不保留颜色", False),
        ("颜色全用画里的", False),
        ("黑白的，颜色就不要了", False),
        ("use the painting's colours not mine", False),
    ],
)
def test_keep_the_colours_in_any_word_order(phrase: str, keep: bool, shipped: list[StyleInfo]) -> None:
    assert parse_ask(phrase, styles=shipped).preserve_color is keep


def test_negated_colours_do_not_negate_the_style(shipped: list[StyleInfo]) -> None:
    got = parse_ask("不要变颜色水墨", styles=shipped)
    assert got.style == "ink_shanshui" and got.preserve_color is True


def test_cli_ins_look_keeps_an_orange_cat_orange(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: `stylize --ask ins风` painted an orange cat blue with the default model."""
    from tests.test_cli import run

    src = tmp_path / "cat.png"
    rgb = np.zeros((96, 128, 3), np.uint8)
    rgb[...] = (225, 130, 40)
    imageio.write_image(src, imageio.Image(rgb=rgb))
    code, out, err = run(["stylize", str(src), "--ask", "ins风", "-o", str(tmp_path / "o.png")], capsys)
    assert code == 0, err
    res = imageio.read_image(tmp_path / "o.png").rgb[32:64, 40:88].reshape(-1, 3).mean(axis=0)
    assert res[0] > res[1] > res[2], res  # still orange: red over green over blue
    assert "photo" in err or "photo" in out  # "read as: photo, fade, vignette"


def test_a_look_promoted_to_style_is_echoed_as_a_style(shipped: list[StyleInfo]) -> None:
    """The page said "黑白 → +filter bw" while the gallery selected bw as the style."""
    got = parse_ask("黑白，淡一点", styles=shipped)
    assert got.style == "bw" and got.filters == ()
    assert ("黑白", "style=bw (a look on the photo)") in got.matched
