"""End to end through the CLI: train a tiny recipe, export it, and stylize with the result."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from huafeng import imageio
from huafeng.cli import main
from tests.train.conftest import TINY


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    return int(exc.value.code or 0), cap.out, cap.err


def test_train_export_stylize(
    tmp_path: Path,
    tiny_root: Path,
    sample_photo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_dir = tmp_path / "run"
    args = [
        "train",
        str(TINY),
        "--data",
        str(tiny_root),
        "--set",
        "data.style=[styles/a]",
        "-o",
        str(run_dir),
    ]
    code, out, err = run([*args, "--no-progress"], capsys)
    assert code == 0, err
    assert "checkpoint:" in out and (run_dir / "metrics.jsonl").is_file()

    # a non-empty run folder is not silently reused
    code, _, err = run([*args, "--no-progress"], capsys)
    assert code == 2 and "--resume" in err
    code, _, err = run([*args, "--no-progress", "--overwrite"], capsys)
    assert code == 0, err

    styles = tmp_path / "styles"
    onnx_path = styles / "tiny.onnx"
    code, out, err = run(["export", str(run_dir), "-o", str(onnx_path), "--name", "tiny", "--json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["max_abs_diff"] < 1e-3 and report["bytes"] > 0
    meta = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    card = json.loads(meta["huafeng.card"])
    assert meta["huafeng.name"] == "tiny" and card["steps"] == 4
    assert card["data"]["style"]["images"] > 0 and card["config"]["train"]["mode"] == "style"
    assert "loss/g" in card["final_metrics"]
    training = card["training"]  # where and how long: the loop records both in the checkpoint
    assert training["hardware"] not in ("", "unrecorded") and "thread" in training["hardware"]
    assert training["train_minutes"] >= 0 and training["time_basis"].startswith("loop")

    code, _, err = run(["export", str(run_dir), "-o", str(onnx_path)], capsys)
    assert code == 2 and "already exists" in err

    # the engine lists the exported style from the user folder and runs it
    monkeypatch.setenv("HUAFENG_STYLES_DIR", str(styles))
    code, out, _ = run(["styles", "--json"], capsys)
    listed = {s["name"]: s for s in json.loads(out)}
    assert listed["tiny"]["kind"] == "onnx" and listed["tiny"]["tradition"] == "japanese_ukiyoe_and_edo"
    dst = tmp_path / "out.png"
    code, _, err = run(["stylize", str(sample_photo), "-s", "tiny", "-o", str(dst)], capsys)
    assert code == 0, err
    assert imageio.read_image(dst).size == imageio.read_image(sample_photo).size


def test_train_config_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["train", str(tmp_path / "missing.yaml")], capsys)
    assert code == 2 and "not found" in err
    code, _, err = run(["train", str(TINY), "--set", "train.stepz=3", "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and "stepz" in err
    code, _, err = run(["export", str(tmp_path), "-o", str(tmp_path / "x.onnx")], capsys)
    assert code == 2 and "no complete checkpoint" in err
    code, _, err = run(["export", str(tmp_path), "-o", str(tmp_path / "x.txt")], capsys)
    assert code == 2 and ".onnx" in err
