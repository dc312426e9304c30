"""The metric registry: every registered metric runs, states its protocol, writes JSONL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import huafeng.eval as he
from huafeng.errors import UnknownNameError
from huafeng.eval.registry import METRICS, Metric, MetricResult, register_metric

REPO = Path(__file__).resolve().parents[2]


def test_every_issue_metric_is_registered() -> None:
    assert {
        "ssim_y256",
        "percep_effl0_256",
        "gram_effl0_256_mean",
        "gram_effl0_256_nearest",
        "fid_effl0_256",
        "artfid_effl0_256",
        "deception_effl0_256",
        "warp_err_dis",
    } <= set(he.list_metrics())


#: Metrics whose constructor needs an argument (the deception rate needs its target tradition).
BUILD_KWARGS = {"deception_effl0_256": {"target": "japanese_ukiyoe_and_edo"}}


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_runs_on_a_tiny_set(name: str, chelsea: np.ndarray, coffee: np.ndarray) -> None:
    metric = METRICS.build(name, **BUILD_KWARGS.get(name, {}))
    assert metric.name == name and metric.reference and metric.protocol
    photos = [chelsea[:96, :128], coffee[:96, :128]]
    outputs = [np.ascontiguousarray(p[..., ::-1]) for p in photos]
    res = metric.evaluate(outputs, contents=photos, style=[coffee, chelsea])
    assert res.metric == name and res.num_images == 2
    set_level = type(metric).evaluate is not Metric.evaluate
    # per-image metrics score each image; set-level ones give one value (or one per frame pair)
    assert len(res.per_image) == (len(res.per_image) if set_level else 2)
    assert np.isfinite(res.value) and res.higher_is_better == metric.higher_is_better


def test_missing_inputs_are_explained(chelsea: np.ndarray) -> None:
    with pytest.raises(ValueError, match="content"):
        he.calc_metric("ssim_y256", [chelsea])
    with pytest.raises(ValueError, match="style="):
        he.calc_metric("gram_effl0_256_mean", [chelsea])
    with pytest.raises(UnknownNameError, match="ssim_y256"):
        METRICS.get("ssim_y255")


def test_register_metric_demands_reference_and_protocol() -> None:
    with pytest.raises(TypeError, match="reference and protocol"):

        @register_metric("nameless_test_metric")
        class Nameless(Metric):
            pass

    with pytest.raises(TypeError, match="Metric subclass"):
        register_metric("not_a_metric")(dict)  # type: ignore[type-var]
    assert "nameless_test_metric" not in METRICS


def test_results_append_as_jsonl(tmp_path: Path, chelsea: np.ndarray) -> None:
    res = he.calc_metric("ssim_y256", [chelsea], contents=[chelsea])
    assert isinstance(res, MetricResult) and res.value == pytest.approx(1.0)
    he.append_jsonl(tmp_path / "m.jsonl", res, run="r1")
    he.append_jsonl(tmp_path / "m.jsonl", {"metric": "x", "value": 2.0}, run="r1")
    rows = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert rows[0]["run"] == "r1" and rows[0]["metric"] == "ssim_y256" and rows[0]["per_image"] == [1.0]
    assert rows[1] == {"run": "r1", "metric": "x", "value": 2.0}


def test_import_is_light() -> None:
    """Benchmark memory children import huafeng.eval helpers: that must not drag in torch or training."""
    code = (
        "import sys, json, huafeng.eval, huafeng.eval.rss, huafeng.eval.latency\n"
        "print(json.dumps([m for m in ('torch', 'huafeng.train', 'huafeng.cli') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert json.loads(out.stdout) == []
