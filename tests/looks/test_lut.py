"""3D LUT application and the .cube format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.errors import InputError, OutputExistsError
from huafeng.looks.lut import (
    Lut3D,
    apply_lut,
    format_cube,
    grid_points,
    identity_lut,
    parse_cube,
    read_cube,
    write_cube,
)


def test_identity_lut_is_identity(rng: np.random.Generator) -> None:
    x = rng.random((20, 30, 3), dtype=np.float32)
    np.testing.assert_allclose(apply_lut(x, identity_lut(17)), x, atol=1e-6)


def test_trilinear_is_exact_for_affine_maps(rng: np.random.Generator) -> None:
    m = np.array([[0.8, 0.1, 0.0], [0.05, 0.7, 0.1], [0.0, 0.1, 0.6]], np.float32)
    lut = Lut3D(grid_points(9) @ m.T + 0.1)
    x = rng.random((500, 3), dtype=np.float32)
    np.testing.assert_allclose(apply_lut(x, lut), np.clip(x @ m.T + 0.1, 0, 1), atol=1e-5)


def test_cube_round_trip_and_red_fastest(tmp_path: Path, rng: np.random.Generator) -> None:
    table = rng.random((5, 5, 5, 3), dtype=np.float32)
    lut = Lut3D(table, title="My look", domain_min=(0, 0, 0), domain_max=(1, 1, 1))
    p = write_cube(tmp_path / "a.cube", lut)
    text = p.read_text()
    assert 'TITLE "My look"' in text and "LUT_3D_SIZE 5" in text and "DOMAIN_MAX 1.000000" in text
    rows = [line for line in text.splitlines() if line[:1].isdigit()]
    # Red changes fastest: row 1 is (r=1, g=0, b=0), row 5 is (r=0, g=1, b=0), row 25 is (0, 0, 1).
    for k, (r, g, b) in {1: (1, 0, 0), 5: (0, 1, 0), 25: (0, 0, 1)}.items():
        np.testing.assert_allclose([float(v) for v in rows[k].split()], table[r, g, b], atol=1e-6)
    back = read_cube(p)
    assert back.title == "My look" and back.size == 5
    np.testing.assert_allclose(back.table, table, atol=1e-6)
    with pytest.raises(OutputExistsError):
        write_cube(p, lut)


def test_domain_and_resolve_input_range() -> None:
    text = "LUT_3D_INPUT_RANGE 0 2\nLUT_3D_SIZE 2\n" + "\n".join(
        f"{r * 2} {g * 2} {b * 2}" for b in (0, 1) for g in (0, 1) for r in (0, 1)
    )
    lut = parse_cube(text)
    assert lut.domain_max == (2.0, 2.0, 2.0)
    # value 1.0 sits half-way through a 0..2 domain: output is half of 2 = 1 (then clipped to [0, 1])
    np.testing.assert_allclose(apply_lut(np.array([[0.5, 0.5, 0.5]], np.float32), lut), [[0.5, 0.5, 0.5]])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "LUT_3D_SIZE"),
        ("LUT_1D_SIZE 4\n0 0 0\n", "1D LUT"),
        ("LUT_3D_SIZE 2\n0 0 0\n", "needs 8"),
        ("LUT_3D_SIZE 1\n", "outside"),
        ("LUT_3D_SIZE x\n", "integer"),
        ("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0\n", "3 finite"),
        ("LUT_3D_SIZE 2\nbanana\n", "unexpected"),
        ("LUT_3D_SIZE 2\n" + "0 0 nan\n" * 8, "unexpected"),
    ],
)
def test_bad_cube_files(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_cube(text, "x.cube")


def test_read_cube_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_cube(tmp_path / "none.cube")
    (tmp_path / "bin.cube").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError):
        read_cube(tmp_path / "bin.cube")


def test_format_has_one_line_per_node() -> None:
    text = format_cube(identity_lut(3))
    assert len([ln for ln in text.splitlines() if ln[:1].isdigit()]) == 27
