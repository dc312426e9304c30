"""Files from outside reach only the accepted image decoders, never Ghostscript or another plugin.

A PostScript file named ``holiday.jpg`` used to be identified by content and handed to Pillow's EPS
plugin, which runs ``gs``. A stand-in ``gs`` on PATH records any call: it must never be made, from
the CLI, the library or the service's upload decoder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from huafeng.errors import InputError
from huafeng.imageio import read_image

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nnewpath 0 0 moveto 64 64 lineto stroke\nshowpage\n"
# Other formats Pillow can open by content that no camera or browser produces.
FOREIGN = {
    "eps": EPS,
    "pcx": b"\x0a\x05\x01\x08" + b"\x00" * 124,
    "xbm": b"#define im_width 8\n#define im_height 8\nstatic char im_bits[] = {0,0,0,0,0,0,0,0};\n",
}


@pytest.fixture
def fake_gs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir, log = tmp_path / "bin", tmp_path / "gs-called"
    bin_dir.mkdir()
    gs = bin_dir / "gs"
    gs.write_text(f"#!/bin/sh\necho called >> {log}\nexit 1\n")
    gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_library_refuses_foreign_formats(kind: str, tmp_path: Path, fake_gs: Path) -> None:
    f = tmp_path / "holiday.jpg"
    f.write_bytes(FOREIGN[kind])
    with pytest.raises(InputError, match="not an image file"):
        read_image(f)
    with pytest.raises(InputError):
        read_image(FOREIGN[kind])
    assert not fake_gs.exists()


def test_cli_never_calls_ghostscript(tmp_path: Path, fake_gs: Path) -> None:
    f = tmp_path / "holiday.jpg"
    f.write_bytes(EPS)
    r = subprocess.run(
        [sys.executable, "-m", "huafeng.cli", "stylize", str(f), "-s", "bw", "-o", str(tmp_path / "o.jpg")],
        capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    assert r.returncode == 2 and "not an image" in r.stderr
    assert not fake_gs.exists()


def test_upload_decoder_refuses_eps(fake_gs: Path) -> None:
    from huafeng.serve.uploads import UploadError, decode_upload

    with pytest.raises(UploadError) as e:
        decode_upload(EPS, "image", 10**7)
    assert e.value.status == 415
    assert not fake_gs.exists()
