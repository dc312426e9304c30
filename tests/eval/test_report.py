"""Report helpers: tables and generated doc sections."""

from __future__ import annotations

import math
from pathlib import Path

from huafeng.eval.report import fmt, markdown_table, replace_section, update_doc_section


def test_fmt_and_table() -> None:
    assert [fmt(0.012345), fmt(1448.8), fmt(None), fmt(math.nan), fmt(3)] == ["0.0123", "1449", "–", "–", "3"]
    table = markdown_table(["size", "s"], [["256²", 0.5], ["512²", None]])
    assert table.splitlines() == ["| size | s |", "| --- | ---: |", "| 256² | 0.5 |", "| 512² | – |"]


def test_sections_replace_only_their_block(tmp_path: Path) -> None:
    doc = "intro\n<!-- BEGIN R -->\nold\n<!-- END R -->\noutro\n"
    assert replace_section(doc, "R", "new") == "intro\n<!-- BEGIN R -->\nnew\n<!-- END R -->\noutro\n"
    assert replace_section("intro\n", "R", "x").endswith("<!-- BEGIN R -->\nx\n<!-- END R -->\n")
    path = update_doc_section(tmp_path / "d.md", "R", "first")
    update_doc_section(path, "R", "second")
    assert path.read_text().count("BEGIN R") == 1 and "second" in path.read_text()
