"""The CLI contract: every --help works, exit codes, one-line errors, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from huafeng import imageio
from huafeng.cli import app, main
from tests.conftest import sha256

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands if c.callback)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), cap.out, cap.err


def test_commands_listed() -> None:
    assert {"stylize", "styles", "filters", "train", "export"} <= set(COMMANDS)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help(cmd: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([cmd, "--help"], capsys)
    assert code == 0 and "Usage" in out


def test_root_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "stylize" in out
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("huafeng ")


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["stylize"], capsys)
    assert code == 2 and "Missing argument" in err
    code, _, err = run(["stylize", "x.jpg", "--strength", "3"], capsys)
    assert code == 2 and "strength" in err


def test_stylize_single_file(tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sha256(sample_photo)
    dst = tmp_path / "out.jpg"
    code, _out, err = run(["stylize", str(sample_photo), "-s", "bw", "-o", str(dst)], capsys)
    assert code == 0, err
    img = imageio.read_image(dst)
    assert img.size == imageio.read_image(sample_photo).size
    assert np.abs(img.rgb[..., 0].astype(int) - img.rgb[..., 2].astype(int)).mean() < 3  # black and white
    assert sha256(sample_photo) == before
    # refuses to overwrite, with one readable line and exit 2
    code, _, err = run(["stylize", str(sample_photo), "-s", "bw", "-o", str(dst)], capsys)
    assert code == 2 and "already exists" in err and "--overwrite" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, _ = run(["stylize", str(sample_photo), "-s", "bw", "-o", str(dst), "--overwrite"], capsys)
    assert code == 0


def test_unknown_style_lists_valid_names(
    sample_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["stylize", str(sample_photo), "-s", "oil_paintin", "-o", str(tmp_path / "o.jpg")], capsys
    )
    assert code == 2 and "unknown style 'oil_paintin'" in err and "oil_painting" in err
    assert not (tmp_path / "o.jpg").exists()


def test_missing_input_and_bad_mask(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["stylize", str(tmp_path / "nope.jpg"), "-s", "bw", "-o", str(tmp_path / "o.jpg")], capsys
    )
    assert code == 2 and "no such file" in err
    code, _, err = run(
        [
            "stylize",
            str(sample_photo),
            "-s",
            "bw",
            "--mask",
            str(tmp_path / "m.png"),
            "-o",
            str(tmp_path / "o.jpg"),
        ],
        capsys,
    )
    assert code == 2 and "mask" in err


def test_batch_goes_past_bad_files(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jpg").write_bytes(sample_photo.read_bytes())
    (src / "b.png").write_bytes(b"")  # 0 bytes
    (src / "c.jpg").write_bytes(sample_photo.read_bytes()[:500])  # truncated
    imageio.write_image(src / "d.png", imageio.Image(rgb=np.zeros((8, 1000, 3), np.uint8)))
    dst = tmp_path / "out"
    code, out, _ = run(["stylize", str(src), "-s", "sepia", "-o", str(dst), "--json"], capsys)
    assert code == 2  # some failed
    results = {Path(r["input"]).name: r for r in json.loads(out)}
    assert results["a.jpg"]["ok"] and results["d.png"]["ok"]
    assert not results["b.png"]["ok"] and "empty file" in results["b.png"]["error"]
    assert not results["c.jpg"]["ok"]
    assert sorted(p.name for p in dst.iterdir()) == ["a.jpg", "d.png"]


def test_listings_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["styles", "--json"], capsys)
    assert code == 0
    names = {s["name"] for s in json.loads(out)}
    assert {"oil_painting", "bw", "retro"} <= names
    code, out, _ = run(["filters", "--json"], capsys)
    assert code == 0 and {"bw", "grain", "oil_painting"} <= {f["name"] for f in json.loads(out)}
    code, out, _ = run(["styles"], capsys)
    assert code == 0 and "oil_painting" in out
    from huafeng.infer.styles import user_styles_dir

    assert f"your styles folder: {user_styles_dir()}" in out


def test_filter_chain_after_style(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        [
            "stylize",
            str(sample_photo),
            "-s",
            "cartoon",
            "-f",
            "grain",
            "-f",
            "vignette",
            "-o",
            str(tmp_path / "x.png"),
        ],
        capsys,
    )
    assert code == 0, err
    code, _, err = run(
        ["stylize", str(sample_photo), "-s", "bw", "-f", "nope", "-o", str(tmp_path / "y.png")], capsys
    )
    assert code == 2 and "nope" in err


def test_entry_points_work() -> None:
    """``python -m huafeng`` and the console script are the same program."""
    r = subprocess.run(
        [sys.executable, "-m", "huafeng", "--version"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and r.stdout.startswith("huafeng ")
    exe = Path(sys.executable).with_name("huafeng")
    if exe.exists():
        r = subprocess.run([str(exe), "filters", "--json"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and json.loads(r.stdout)


def test_large_photo_with_onnx_path(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The done-when case: a 4000x3000 photo through an .onnx style named by path (tiled automatically)."""
    from tests.infer.conftest import conv_model

    model = conv_model(tmp_path / "tiny.onnx")
    big = imageio.read_image(sample_photo)
    src = tmp_path / "big.jpg"
    imageio.write_image(src, big.with_rgb(imageio.resize(big.rgb, (4000, 3000))))
    dst = tmp_path / "big_out.jpg"
    code, out, err = run(["stylize", str(src), "-s", str(model), "-o", str(dst), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)[0]["ok"]
    assert imageio.read_image(dst).size == (4000, 3000)


def test_mix_blends_sub_styles_of_a_multi_style_model(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.infer.conftest import multi_model

    model = multi_model(tmp_path / "multi.onnx")
    outs = {}
    for mix in ("photo=1", "negative=1", "photo=0.5,negative=0.5"):
        dst = tmp_path / f"{mix}.png"
        code, _, err = run(
            ["stylize", str(sample_photo), "-s", str(model), "--mix", mix, "-o", str(dst)], capsys
        )
        assert code == 0, err
        outs[mix] = imageio.read_image(dst).rgb.astype(float)
    src = imageio.read_image(sample_photo).rgb.astype(float)
    assert np.abs(outs["photo=1"] - src).mean() < 2  # the identity sub-style
    assert np.abs(outs["negative=1"] - (255 - src)).mean() < 2
    assert np.abs(outs["photo=0.5,negative=0.5"] - 127.5).mean() < 2  # 0.5x + 0.5(1 - x)
    code, _, err = run(["stylize", str(sample_photo), "-s", str(model), "--mix", "oops=1"], capsys)
    assert code == 2 and "photo, negative" in err and "Traceback" not in err
    code, _, err = run(["stylize", str(sample_photo), "-s", str(model), "--mix", "photo=x"], capsys)
    assert code == 2 and "NAME=WEIGHT" in err


def test_batch_goes_past_os_errors(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import shutil

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.jpg", "b.jpg"):
        shutil.copy(sample_photo, src / name)
    real_write = imageio.write_image

    def flaky_write(path: Path, *args: object, **kwargs: object) -> Path:
        if Path(path).stem == "a":
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real_write(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(imageio, "write_image", flaky_write)
    code, _, err = run(["stylize", str(src), "-s", "bw", "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and "Input/output error" in err and "Traceback" not in err
    assert [p.stem for p in (tmp_path / "out").iterdir()] == ["b"]  # the other photo was still done


def _command_paths() -> list[list[str]]:
    from typer.main import get_command

    def walk(c: object, path: list[str]) -> list[list[str]]:
        subs = getattr(c, "commands", {})
        return [path] + [p for n, s in sorted(subs.items()) for p in walk(s, [*path, n])]

    return walk(get_command(app), [])


#: What a help formatter that eats "[train]" or "[default: ...]" leaves behind.
EATEN = re.compile(r"\(\s*\)|\(needs\s*\)|needs the\s+extra|need \)|\w \.$|results \.|\(needs huafeng\)")


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "root")
def test_help_keeps_every_word(path: list[str]) -> None:
    """Bracketed words in help ([train], [faces], [default: ...]) must reach the reader."""
    from click.testing import CliRunner
    from typer.main import get_command

    out = CliRunner().invoke(get_command(app), [*path, "--help"], terminal_width=200).output
    lines = [re.sub(r"[│╭╮╰╯─]", " ", ln).strip() for ln in out.splitlines()]
    assert [ln for ln in lines if EATEN.search(ln)] == []


def test_many_inputs_to_a_file_name_and_mix_on_one_style(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two everyday mistakes get a line that says what to do, and nothing is written."""
    code, _, err = run(
        ["stylize", str(sample_photo), str(sample_photo), "-o", str(tmp_path / "x7.jpg")], capsys
    )
    assert code == 2 and "need a folder" in err
    assert not (tmp_path / "x7.jpg").exists()
    out = tmp_path / "m.jpg"
    code, _, err = run(
        ["stylize", str(sample_photo), "-s", "ukiyoe", "--mix", "ukiyoe=1", "-o", str(out)], capsys
    )
    assert code == 2 and "--mix" in err and "multi-style" in err
    assert not out.exists()


def test_ask_says_how_it_was_read_and_json_has_the_applied_settings(
    tmp_path: Path, sample_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.jpg"
    code, _, err = run(["stylize", str(sample_photo), "--ask", "黑白，淡一点", "-o", str(out)], capsys)
    assert code == 0, err
    line = next(ln for ln in err.splitlines() if ln.startswith("read as: "))
    assert "strength 0.6" in line and "bw" in line
    code, text, err = run(
        [
            "stylize",
            str(sample_photo),
            "-s",
            "ukiyoe",
            "--strength",
            "0.5",
            "-o",
            str(tmp_path / "b.jpg"),
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    applied = json.loads(text)[0]["applied"]
    assert applied == {"style": "ukiyoe", "strength": 0.5, "preserve_color": False, "filters": []}
