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


def test_heldout_protocol_grades_against_unseen_paintings(shared_data: Path, tmp_path: Path) -> None:
    from huafeng.splits import is_heldout

    pr = load_protocol("heldout")
    assert pr.gram_reference == "heldout" and pr.n_content == len(pr.content) == 12
    for name in pr.content:  # every photo exists and is held out of training
        assert (shared_data / "content" / name).exists() and is_heldout(f"content/{name}")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ngram_reference: nearest\n")
    with pytest.raises(InputError, match="gram_reference"):
        load_protocol(bad)
