"""Protocol files: the shipped ones load, mistakes are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from huafeng.errors import InputError, UnknownNameError
from huafeng.eval.protocol import list_protocols, load_protocol


def test_shipped_protocols_load(shared_data: Path) -> None:
    assert {"standard", "tiny"} <= set(list_protocols())
    std = load_protocol("standard")
    assert std.stylize_side == 384 and len(std.content) == std.n_content == 8
    for name in std.content:  # every named photo exists in the shared data's content folder
        assert (shared_data / "content" / name).exists(), name
    assert load_protocol("tiny").to_dict()["name"] == "tiny"


def test_bad_protocols(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="standard"):
        load_protocol("standrd")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsizes: [1]\n")
    with pytest.raises(InputError, match="unknown protocol fields"):
        load_protocol(bad)
    bad.write_text("name: bad\nvideo_frames: 1\n")
    with pytest.raises(InputError, match="video_frames"):
        load_protocol(bad)
