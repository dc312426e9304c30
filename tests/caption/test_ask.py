"""``parse_ask`` beyond the phrase set: lexicon integrity, option folding, style resolution against
what is installed, bad input, properties, and the ``ask`` / ``stylize --ask`` commands."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huafeng import imageio
from huafeng.caption.ask import MAX_PHRASE_CHARS, AskParse, normalise, parse_ask
from huafeng.caption.lexicon import load_lexicon, parse_lexicon
from huafeng.cli import main
from huafeng.errors import InputError
from huafeng.infer import StylizeOptions
from huafeng.infer.filters import FILTERS
from huafeng.infer.styles import StyleInfo, filter_looks, list_styles

LEX = load_lexicon()


def fake(name: str, tradition: str) -> StyleInfo:
    return StyleInfo(name, tradition, "", "test", "onnx", "user", path=Path(f"{name}.onnx"))


# ---------------------------------------------------------------------------------- lexicon


def test_lexicon_loads_and_names_real_filters() -> None:
    assert len(LEX.terms) > 500
    for m in LEX.terms.values():
        for f in m.filters:
            FILTERS.get(f)
        assert m.concept is None or m.concept in LEX.concepts
    for word in ("no", "yes", "on"):  # YAML 1.1 booleans must stay words
        assert word in LEX.terms and "false" not in LEX.terms and "true" not in LEX.terms


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"filters": {"bw": ["x"], "sepia": ["x"]}}, "means two things"),
        ({"filters": {"bw": [False]}}, "quote yes/no"),
        ({"filters": {"no_such_filter": ["x"]}}, "no_such_filter"),
        ({"moods": [{"words": ["x"], "style": "nope"}]}, "unknown style concept"),
    ],
)
def test_broken_lexicon_is_refused(data: dict, match: str) -> None:
    with pytest.raises((ValueError, KeyError), match=match):
        parse_lexicon(data)


def test_every_meaningful_term_is_understood_alone() -> None:
    """Each effect or strength term, said on its own, is matched whole: no term is unreachable
    because segmentation cuts it differently from how the lexicon spells it."""
    installed = list_styles()
    for term, meaning in LEX.terms.items():
        if meaning.kind in ("effect", "lower", "higher"):
            got = parse_ask(term, styles=installed)
            assert len(got.matched) == 1 and not got.unknown, (term, got.matched, got.unknown)


# ------------------------------------------------------------------------- folding into options


def test_apply_folds_and_leaves_unsaid_options_alone() -> None:
    base = StylizeOptions(strength=0.8, preserve_color=True, filters=("grain", "bw"))
    parsed = parse_ask("不要颗粒，复古")
    assert parsed.style == "retro" and parsed.excluded == ("grain",)  # the look became the style
    got = parsed.apply(base)
    assert got.filters == ("bw",)
    assert got.strength == 0.8 and got.preserve_color is True
    assert parse_ask("梵高，加点颗粒，淡一点").apply(base).filters == ("grain", "bw")
    assert parse_ask("梵高，加点颗粒，淡一点").apply(base).strength == pytest.approx(0.6)


def test_no_filter_drops_callers_filters_but_not_the_phrases_own() -> None:
    base = StylizeOptions(filters=("grain", "vignette"))
    assert parse_ask("no filter").apply(base).filters == ()
    got = parse_ask("梵高，黑白，不要滤镜")
    assert got.style == "starry_night" and got.apply(base).filters == ("bw",)


def test_explicit_style_turns_a_promoted_look_back_into_a_filter() -> None:
    got = parse_ask("油画，黑白")
    assert (got.style, got.filters, got.look_as_style) == ("oil_painting", ("bw",), True)
    forced = got.with_style("starry_night")
    assert (forced.style, forced.filters) == ("starry_night", ("oil_painting", "bw"))
    named = parse_ask("梵高，黑白").with_style("kandinsky")
    assert (named.style, named.filters) == ("kandinsky", ("bw",))


def test_strength_arithmetic() -> None:
    assert parse_ask("淡一点").strength == pytest.approx(0.6)
    assert parse_ask("再淡一点").strength == pytest.approx(0.36)
    assert parse_ask("淡一点，淡一点").strength == pytest.approx(0.36)
    assert parse_ask("淡一点，浓一点").strength == pytest.approx(1.0)
    assert parse_ask("淡一点，" * 8).strength == pytest.approx(0.05)  # floor, never 0
    with pytest.raises(InputError):
        parse_ask("150%")  # out of range: not a strength, and nothing else was said


# ------------------------------------------------------------------ styles resolved at call time


def test_new_styles_are_picked_up_by_concept_and_tradition() -> None:
    installed = [*filter_looks(), fake("fan_kuan", "chinese_shanshui_landscape")]
    assert parse_ask("水墨", styles=installed).style == "fan_kuan"  # no ink_shanshui: by tradition
    installed.append(fake("qi_baishi", "chinese_huaniao_flower_bird"))
    assert parse_ask("工笔", styles=installed).style == "qi_baishi"
    assert parse_ask("水墨", styles=installed).style == "fan_kuan"  # shanshui tradition comes first


def test_concept_with_nothing_installed_is_a_note_not_an_error() -> None:
    got = parse_ask("浮世绘，黑白", styles=filter_looks())
    assert got.style == "bw" and got.notes and "none is installed" in got.notes[0]
    assert any("none is installed" in w for w in got.warnings())


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("phrase", ["", "   ", "\u200b\u200d\ufeff", "\x00\x01\x07", "，。！？"])
def test_empty_phrases_are_refused(phrase: str) -> None:
    with pytest.raises(InputError, match=r"empty phrase|could not understand"):
        parse_ask(phrase)


def test_long_and_odd_input() -> None:
    with pytest.raises(InputError, match="characters"):
        parse_ask("复古" * 5000)
    assert parse_ask("复古" * (MAX_PHRASE_CHARS // 2)).style == "retro"
    assert parse_ask("黑\u200b白").style == "bw"  # zero-width space inside a word
    assert parse_ask("ＢＬＡＣＫ　ＡＮＤ　ＷＨＩＴＥ").style == "bw"  # full-width
    got = parse_ask("שחור לבן 黑白 🙂")  # RTL words and an emoji are reported, not fatal
    assert got.style == "bw" and "🙂" in got.unknown and len(got.unknown) == 3
    with pytest.raises(InputError, match="huafeng understands"):
        parse_ask("🙂🙂🙂")


def test_normalise() -> None:
    assert normalise("Keep the  Colours\u200b!") == "keep the colors!"
    assert normalise("ＩＮＳ风") == "ins风"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_is_an_input_error(text: str) -> None:
    try:
        got = parse_ask(text)
    except InputError:
        return
    assert isinstance(got, AskParse) and got.matched
    assert got.strength is None or 0.05 <= got.strength <= 1.0
    assert all(f in FILTERS.names() for f in got.filters)
    got.apply(StylizeOptions())  # always makes valid options


WORDS = sorted(LEX.terms)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=4)), min_size=1, max_size=8))
def test_lexicon_soup_parses_or_is_an_input_error(parts: list[str]) -> None:
    with contextlib.suppress(InputError):
        parse_ask(" ".join(parts)).apply(StylizeOptions())


# ---------------------------------------------------------------------------------------- CLI


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    return (exc.value.code if isinstance(exc.value.code, int) else 1), cap.out, cap.err


def test_ask_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["ask", "来点复古感，淡一点，喵", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["style"] == "retro" and data["strength"] == 0.6 and data["unknown"] == ["喵"]
    assert data["flags"] == ["-s", "retro", "--strength", "0.6"]
    code, out, err = run(["ask", "make it dreamy, keep the colours"], capsys)
    assert code == 0 and "starry_night" in out and "--preserve-color" in out
    code, _, err = run(["ask", "喵喵喵"], capsys)
    assert code == 2 and "huafeng understands" in err and "Traceback" not in err


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    p = tmp_path / "in.png"
    imageio.write_image(p, imageio.Image(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)))
    return p


def test_stylize_ask_end_to_end(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = imageio.read_image(photo).rgb.astype(int)
    dst = tmp_path / "bw.png"
    code, _, err = run(["stylize", str(photo), "--ask", "黑白，喵", "-o", str(dst)], capsys)
    assert code == 0 and "not understood: '喵'" in err
    rgb = imageio.read_image(dst).rgb.astype(int)
    assert np.abs(rgb[..., 0] - rgb[..., 2]).max() <= 1 and np.abs(rgb - src).mean() > 5
    code, _, err = run(["stylize", str(photo), "--ask", "喵"], capsys)
    assert code == 2 and "huafeng understands" in err


def test_stylize_explicit_flags_win(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = imageio.read_image(photo).rgb
    same = tmp_path / "same.png"
    code, _, err = run(
        ["stylize", str(photo), "--ask", "黑白 浓一点", "--strength", "0", "-o", str(same)], capsys
    )
    assert code == 0, err
    assert np.array_equal(imageio.read_image(same).rgb, src)  # --strength 0 beat 浓一点
    outs = []
    for i, ask in enumerate([["--ask", "不要黑白，颗粒"], []]):
        outs.append(tmp_path / f"sepia{i}.png")
        args = ["stylize", str(photo), "-s", "sepia", "-f", "bw", *ask, "-o", str(outs[-1])]
        code, _, err = run(args, capsys)
        assert code == 0, err
    grainy, plain = (imageio.read_image(p).rgb.astype(int) for p in outs)
    # -f bw survives 不要黑白: grey
    for rgb in (grainy, plain):
        assert np.abs(rgb[..., 0] - rgb[..., 2]).max() <= 1
    assert np.abs(grainy - plain).mean() > 0.5  # and the phrase's own filter (grain) was added


def test_merge_lets_explicit_options_win() -> None:
    """One rule for the CLI and the service (AskParse.merge): typed flags beat the phrase."""
    from huafeng.infer.engine import StylizeOptions

    parsed = parse_ask("黑白，淡一点，保留颜色")
    base = StylizeOptions(strength=0.9, preserve_color=False, filters=("grain",))
    folded = parsed.merge(base)
    assert folded.strength == pytest.approx(0.6) and folded.preserve_color is True
    assert folded.filters == ("grain",)  # bw became the style; the caller's grain stays
    kept = parsed.merge(base, strength=True, preserve_color=True, filters=True)
    assert kept.strength == 0.9 and kept.preserve_color is False and kept.filters[0] == "grain"
