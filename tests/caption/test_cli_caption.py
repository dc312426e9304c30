"""The caption commands through the CLI: help, end to end, exit codes, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng import imageio
from huafeng.cli import main
from tests.conftest import SAMPLES, sha256


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), cap.out, cap.err


@pytest.mark.parametrize("cmd", ["meme", "sticker", "subtitle", "annotate"])
def test_help(cmd: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([cmd, "--help"], capsys)
    assert code == 0 and "Usage" in out and "--output" in out


def test_meme_end_to_end_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = SAMPLES / "chelsea.jpg"
    before = sha256(src)
    out = tmp_path / "m.png"
    code, stdout, _ = run(["meme", str(src), "绝绝子", "--bottom", "yyds", "-o", str(out)], capsys)
    assert code == 0 and str(out) in stdout
    assert imageio.read_image(out).size == (451, 300)
    code, _, err = run(["meme", str(src), "again", "-o", str(out)], capsys)
    assert code == 2 and "already exists" in err
    code, _, err = run(["meme", str(src), "x", "-o", str(src), "--overwrite"], capsys)
    assert code == 2 and sha256(src) == before
    code, _, err = run(["meme", str(src), "x", "--at", "1;2", "-o", str(tmp_path / "e.png")], capsys)
    assert code == 2 and "--at takes X,Y" in err
    code, _, err = run(["meme", str(src), "\u200b", "-o", str(tmp_path / "e.png")], capsys)
    assert code == 2 and "no drawable" in err and "Traceback" not in err


def test_sticker_and_annotate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = str(SAMPLES / "chelsea.jpg")
    code, _, err = run(
        [
            "sticker",
            src,
            "好耶",
            "--anim",
            "typewriter",
            "--fps",
            "4",
            "--seconds",
            "1",
            "-o",
            str(tmp_path / "s.gif"),
        ],
        capsys,
    )
    assert code == 0, err
    code, _, err = run(["sticker", src, "好耶", "-o", str(tmp_path / "s.bmp")], capsys)
    assert code == 2 and ".mp4" in err
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps({"items": [{"type": "circle", "center": [200, 120], "radius": 50, "label": "猫"}]})
    )
    code, _, err = run(["annotate", src, str(spec), "-o", str(tmp_path / "a.png")], capsys)
    assert code == 0, err
    spec.write_text("{oops")
    code, _, err = run(["annotate", src, str(spec), "-o", str(tmp_path / "b.png")], capsys)
    assert code == 2 and "invalid JSON" in err


def test_subtitle_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("av", reason="video tests need PyAV")
    from tests.videoclips import make_clip

    clip = make_clip(tmp_path / "in.mp4", n=12, size=(128, 96), fps=12)
    subs = tmp_path / "s.srt"
    subs.write_text("1\n00:00:00,100 --> 00:00:00,800\n字幕 ok\n")
    code, stdout, err = run(["subtitle", str(clip), str(subs), "-o", str(tmp_path / "o.mp4")], capsys)
    assert code == 0 and "12 frames" in stdout, err
    subs.write_text("1\n00:00:00,900 --> 00:00:00,100\nbackwards\n")
    code, _, err = run(["subtitle", str(clip), str(subs), "-o", str(tmp_path / "p.mp4")], capsys)
    assert code == 2 and "before it starts" in err
