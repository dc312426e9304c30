"""Evaluation: one module per metric with its reference, a registry, and the report builder.

Front doors::

    from huafeng.eval import calc_metric, list_metrics, StyleReference
    ref = StyleReference.from_files(paintings)
    calc_metric("gram_effl0_256_mean", outputs, style=ref).value
    calc_metric("ssim_y256", outputs, contents=photos).value

Metrics (each module cites its paper and states its protocol): ``ssim_y256`` (:mod:`.ssim`),
``percep_effl0_256`` (:mod:`.perceptual`, LPIPS-like), ``gram_effl0_256_mean`` /
``gram_effl0_256_nearest`` (:mod:`.gram`), ``fid_effl0_256`` and ``artfid_effl0_256``
(:mod:`.frechet`), ``deception_effl0_256`` (:mod:`.classifier`, with the stored tradition
classifier), ``warp_err_dis`` (:mod:`.temporal`); the per-tradition pixel checklist is
:mod:`.defects`. ``huafeng eval`` (:mod:`.run`, :mod:`.html`, protocols in ``protocols/``) runs
them all and writes the HTML report. Backbone metrics use EfficientNet-Lite0
(:mod:`.backbone`), never the MobileNetV2 our training losses use. Timing and memory helpers for
benchmarks: :mod:`.latency`, :mod:`.rss`.

Importing this package does not import torch; the backbone loads it on first use.
"""

from huafeng.eval import (  # noqa: F401  (importing registers the metrics)
    classifier,
    frechet,
    gram,
    perceptual,
    ssim,
    temporal,
)
from huafeng.eval.gram import StyleReference, gram_distance, grams_of
from huafeng.eval.perceptual import perceptual_distance
from huafeng.eval.prep import EVAL_SIDE, pair_to_eval, to_eval
from huafeng.eval.registry import (
    METRICS,
    Metric,
    MetricResult,
    append_jsonl,
    calc_metric,
    list_metrics,
    register_metric,
)
from huafeng.eval.ssim import ssim_luma

__all__ = [
    "EVAL_SIDE",
    "METRICS",
    "Metric",
    "MetricResult",
    "StyleReference",
    "append_jsonl",
    "calc_metric",
    "gram_distance",
    "grams_of",
    "list_metrics",
    "pair_to_eval",
    "perceptual_distance",
    "register_metric",
    "ssim_luma",
    "to_eval",
]
