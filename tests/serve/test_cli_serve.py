"""`huafeng serve` and `huafeng story` through the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from huafeng.cli import app
from huafeng.imageio import read_image
from tests.serve.conftest import photo_bytes

runner = CliRunner()


def test_help() -> None:
    for cmd, flag in (("serve", "--token"), ("story", "--captions")):
        r = runner.invoke(app, [cmd, "--help"])
        assert r.exit_code == 0 and flag in r.output


def test_serve_refuses_a_public_bind_without_token(tmp_path: Path) -> None:
    from huafeng.cli import main

    with pytest.raises(SystemExit) as e:
        main(["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)])
    assert e.value.code == 2


def _photos(tmp_path: Path, n: int = 2) -> list[str]:
    """``n`` small photo files, as paths for the command line."""
    paths = [tmp_path / f"{i}.jpg" for i in range(n)]
    for i, p in enumerate(paths):
        p.write_bytes(photo_bytes(seed=i))
    return [str(p) for p in paths]


def test_story_cli_writes_strip_and_gif(tmp_path: Path) -> None:
    photos = _photos(tmp_path)
    caps = tmp_path / "caps.txt"
    caps.write_text("第一天\nday two\n", encoding="utf-8")
    out = tmp_path / "story"
    r = runner.invoke(
        app, ["story", *photos, "-s", "sepia", "--captions", str(caps), "-o", str(out), "--panel", "96"]
    )
    assert r.exit_code == 0, r.output
    strip = read_image(out.with_suffix(".png"))
    assert strip.size[0] > 2 * 96 and out.with_suffix(".gif").read_bytes()[:6] == b"GIF89a"
    again = runner.invoke(app, ["story", *photos, "-s", "sepia", "-o", str(out)])
    assert again.exit_code != 0  # refuses to overwrite without --overwrite


def _stories_in_looks(tmp_path: Path, photos: list[str]) -> tuple[dict[str, Path], dict[str, np.ndarray]]:
    """A red and a blue picture, and the strip each gives as ``--style-image`` (mean RGB)."""
    from huafeng.imageio import Image, write_image

    pics, means = {}, {}
    for name, rgb in (("red", (190, 40, 30)), ("blue", (30, 60, 200))):
        pics[name] = tmp_path / f"{name}.png"
        write_image(pics[name], Image(rgb=np.full((160, 160, 3), rgb, np.uint8)))
        out = tmp_path / f"story_{name}"
        args = ["--style-image", str(pics[name]), "--format", "strip", "--panel", "96", "-o", str(out)]
        r = runner.invoke(app, ["story", *photos, *args])
        assert r.exit_code == 0, r.output
        means[name] = read_image(out.with_suffix(".png")).rgb.reshape(-1, 3).astype(float).mean(0)
    return pics, means


def test_story_cli_in_the_instant_look(tmp_path: Path) -> None:
    photos = _photos(tmp_path)
    pics, means = _stories_in_looks(tmp_path, photos)
    assert means["red"][0] > means["blue"][0] + 5  # each picture's own look
    both = runner.invoke(app, ["story", *photos, "-s", "sepia", "--style-image", str(pics["red"]), "-o", "x"])
    assert both.exit_code != 0 and "not both" in str(both.exception)  # main() prints it and exits 2


def test_story_cli_instant_fallback_takes_the_picture_s_palette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the style-code predictor each panel is the nearest style plus the picture's palette,
    as ``stylize --style-image`` gives (a red picture: red panels, a blue one: blue)."""
    from huafeng.infer import style_code

    monkeypatch.setattr(style_code, "predictor_available", lambda: False)
    _, means = _stories_in_looks(tmp_path, _photos(tmp_path))
    assert means["red"][0] > means["red"][2] + 10 and means["blue"][2] > means["blue"][0] + 10
