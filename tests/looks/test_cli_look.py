"""`huafeng look ...` end to end: learn from a folder, apply, export/import .cube, list, delete."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from huafeng.cli import app
from huafeng.imageio import Image, from_float, read_image, to_float, write_image
from huafeng.looks.lut import Lut3D, apply_lut, read_cube

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    from huafeng.cli import main

    try:
        main(list(args))
    except SystemExit as e:
        return int(e.code or 0), ""
    return 0, ""


@pytest.mark.parametrize("cmd", ["learn", "apply", "export", "import", "list", "delete"])
def test_help(cmd: str) -> None:
    res = runner.invoke(app, ["look", cmd, "--help"])
    assert res.exit_code == 0 and "Usage" in res.output


def test_learn_apply_export_import_list_delete(
    tmp_path: Path, looks_dir: Path, content_photos: list[Image], known_lut: Lut3D
) -> None:
    photos, ref = tmp_path / "look_photos", tmp_path / "ref"
    for i, p in enumerate(content_photos[:6]):
        write_image(ref / f"{i}.png", p)
        write_image(photos / f"{i}.png", Image(rgb=from_float(apply_lut(to_float(p.rgb), known_lut))))
    res = runner.invoke(
        app,
        [
            "look",
            "learn",
            str(photos),
            "--name",
            "film",
            "--reference",
            str(ref),
            "--lut-size",
            "9",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["lut_size"] == 9
    res = runner.invoke(app, ["look", "learn", str(photos), "--name", "film"])
    assert res.exit_code != 0  # exists, no --overwrite

    src = ref / "0.png"
    out = tmp_path / "out.png"
    res = runner.invoke(app, ["look", "apply", str(src), "--look", "film", "-o", str(out)])
    assert res.exit_code == 0, res.output
    want = apply_lut(to_float(read_image(src).rgb), known_lut)
    assert np.abs(to_float(read_image(out).rgb) - want).mean() < 0.03
    assert runner.invoke(app, ["look", "apply", str(src), "--look", "film", "-o", str(out)]).exit_code != 0

    cube = tmp_path / "film.cube"
    assert runner.invoke(app, ["look", "export", "film", "-o", str(cube)]).exit_code == 0
    assert read_cube(cube).size == 9
    assert runner.invoke(app, ["look", "import", str(cube), "--name", "film2"]).exit_code == 0
    res = runner.invoke(app, ["look", "list", "--json"])
    assert [r["name"] for r in json.loads(res.output)] == ["film", "film2"]
    assert runner.invoke(app, ["look", "delete", "film2"]).exit_code == 0
    assert [r["name"] for r in json.loads(runner.invoke(app, ["look", "list", "--json"]).output)] == ["film"]


def test_user_errors_exit_2(tmp_path: Path, looks_dir: Path) -> None:
    few = tmp_path / "few"
    for i in range(2):
        write_image(few / f"{i}.png", Image(rgb=np.full((8, 8, 3), 100 + i, np.uint8)))
    assert _run("look", "learn", str(few), "--name", "x")[0] == 2  # fewer than 5 photos
    assert _run("look", "learn", str(tmp_path / "nope"), "--name", "x")[0] == 2
    assert _run("look", "learn", str(few), "--name", "../evil")[0] == 2
    assert (
        _run("look", "apply", str(few / "0.png"), "--look", "missing", "-o", str(tmp_path / "o.png"))[0] == 2
    )
    assert _run("look", "delete", "missing")[0] == 2
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n")
    assert _run("look", "import", str(bad), "--name", "b")[0] == 2
