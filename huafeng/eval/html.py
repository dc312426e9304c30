"""The evaluation report: one HTML page (plus PNG/JPEG files beside it) built from the run's files.

Everything shown is read from ``summary.json`` and ``results.jsonl`` (:mod:`huafeng.eval.run`), so
the page can be regenerated (:func:`rebuild`) and can never disagree with the numbers on disk.
Images are relative files under ``img/``: the folder is self-contained and opens offline. Sections,
each with a stable ``id`` (the tests check every one is present): ``summary``, ``grids``,
``charts``, ``speed-quality``, ``cultural-fidelity``, ``checklist``, ``protocol``, ``run``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from huafeng.eval.report import fmt, markdown_table
from huafeng.imageio import atomic_write_bytes

SECTIONS = (
    "summary",
    "grids",
    "charts",
    "speed-quality",
    "cultural-fidelity",
    "checklist",
    "protocol",
    "run",
)
#: Summary columns: metric → (header, arrow). The order of the table and the bar charts.
COLUMNS: dict[str, tuple[str, str]] = {
    "ssim_y256": ("SSIM-Y", "↑"),
    "percep_effl0_256": ("perceptual", "↓"),
    "gram_effl0_256_mean": ("Gram", "↓"),
    "fid_effl0_256": ("FID-like", "↓"),
    "artfid_effl0_256": ("ArtFID-like", "↓"),
    "deception_effl0_256": ("deception", "↑"),
    "warp_err_dis": ("warp err ×10³", "↓"),
    "latency_s": ("latency s", "↓"),
}
BASELINE_LABEL = "unstylized photo (baseline)"
CAVEAT = (
    "FID-like and ArtFID-like use EfficientNet-Lite0 features and a few dozen images: they are "
    "<b>not comparable to published Inception-FID / ArtFID numbers</b>, only to each other under "
    "the same protocol. Perceptual distance is LPIPS-like (no learned weights), not LPIPS."
)
CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:14px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child,td:nth-child(2),th:first-child{text-align:left}
.note{background:#fff6dc;border-left:4px solid #e0a800;padding:.5em 1em}
img{max-width:100%}.fail{color:#b00020}.pass{color:#1b7a2f}
"""


def _pivot(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["style"], r["system"])
        table.setdefault(key, {"label": r.get("label", r["system"])})[r["metric"]] = r["value"]
    return table


def _value(metric: str, v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v * 1e3 if metric == "warp_err_dis" else v


def summary_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the summary table (style, system, one column per metric)."""
    headers = ["style", "system", *(f"{h} {a}" for h, a in COLUMNS.values())]
    body = [
        [style, vals["label"], *(_value(m, vals.get(m)) for m in COLUMNS)]
        for (style, _), vals in _pivot(rows).items()
    ]
    return headers, body


def summary_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """The summary as a Markdown table (docs/evaluation.md)."""
    headers, body = summary_rows(rows)
    return markdown_table(headers, body)


def _table(
    headers: Sequence[str], body: Sequence[Sequence[Any]], bold: set[tuple[int, int]] | None = None
) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)

    def cell(i: int, j: int, c: Any) -> str:
        text = html.escape(fmt(c) if not isinstance(c, str) else c)
        return f"<td><b>{text}</b></td>" if bold and (i, j) in bold else f"<td>{text}</td>"

    trs = "".join(
        "<tr>" + "".join(cell(i, j, c) for j, c in enumerate(r)) + "</tr>" for i, r in enumerate(body)
    )
    return f"<table><tr>{head}</tr>{trs}</table>"


def best_cells(body: Sequence[Sequence[Any]], baseline: str) -> set[tuple[int, int]]:
    """(row, column) of the best stylizing system per style and metric (the baseline never wins)."""
    out: set[tuple[int, int]] = set()
    for style in dict.fromkeys(r[0] for r in body):
        rows = [i for i, r in enumerate(body) if r[0] == style and r[1] != baseline]
        for j, (_, arrow) in enumerate(COLUMNS.values(), start=2):
            vals = [(float(body[i][j]), i) for i in rows if isinstance(body[i][j], int | float)]
            if len(vals) > 1:
                best = (max if arrow == "↑" else min)(v for v, _ in vals)
                out |= {(i, j) for v, i in vals if v == best}  # ties: all of them
    return out


def _plots(out: Path, summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    piv = _pivot(rows)
    styles = list(dict.fromkeys(s for s, _ in piv))
    systems = list(dict.fromkeys(sy for _, sy in piv))
    metrics = [m for m in COLUMNS if any(m in v for v in piv.values())]
    ncol = 4
    nrow = math.ceil(len(metrics) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3.2 * nrow), squeeze=False)
    width = 0.8 / max(len(systems), 1)
    for ax, m in zip(axes.flat, metrics, strict=False):
        for k, sy in enumerate(systems):
            ys = [_value(m, piv.get((s, sy), {}).get(m)) for s in styles]
            xs = np.arange(len(styles)) + k * width
            ax.bar(xs, [np.nan if y is None else y for y in ys], width, label=sy, color=f"C{k}")
        h, a = COLUMNS[m]
        ax.set_title(f"{h} {a}", fontsize=10)
        ax.set_xticks(np.arange(len(styles)) + 0.4 - width / 2, styles, rotation=30, ha="right", fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "img" / "bars.png", dpi=80)
    plt.close(fig)

    _scatter(out, summary, piv, systems)
    _confusion(out, summary)


def _scatter(
    out: Path, summary: dict[str, Any], piv: dict[tuple[str, str], dict[str, Any]], systems: list[str]
) -> None:
    """Latency against ArtFID-like (left) and the deception rate (right), one point per style."""
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    panels = (
        ("artfid_effl0_256", "ArtFID-like ↓", "lower left is better"),
        ("deception_effl0_256", "deception rate ↑", "upper left is better"),
    )
    for ax, (metric, label, hint) in zip(axes, panels, strict=True):
        for k, sy in enumerate(systems):
            pts = [
                (float(v["latency_s"]), float(v[metric]), s)
                for (s, y), v in piv.items()
                if y == sy and v.get("latency_s") is not None and v.get(metric) is not None
            ]
            pts = [p for p in pts if not math.isnan(p[1])]
            if not pts:
                continue
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=f"C{k}", label=sy, s=36)
            for x, y, s in pts:
                ax.annotate(s, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        side, threads = summary["protocol"]["stylize_side"], summary["protocol"]["threads"]
        ax.set(xlabel=f"latency, s per {side}² image (median, {threads} thread)", ylabel=label, xscale="log")
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(ticker.FormatStrFormatter("%g"))
        ax.tick_params(axis="x", which="minor", labelsize=7)
        ax.set_title(f"Speed vs {label[:-2]}: {hint}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "img" / "speed_quality.png", dpi=80)
    plt.close(fig)


def _confusion(out: Path, summary: dict[str, Any]) -> None:
    """The tradition classifier's held-out confusion matrix (row-normalised colours, counts)."""
    import matplotlib.pyplot as plt
    import numpy as np

    card = summary["classifier"]
    cm = np.array(card["confusion_matrix"]["counts"], float)
    names = card["confusion_matrix"]["rows_true_cols_pred"]
    fig, ax = plt.subplots(figsize=(6, 5))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    str(int(cm[i, j])),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="k" if norm[i, j] < 0.6 else "w",
                )
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set(xlabel="predicted", ylabel="true (held-out paintings)")
    fig.tight_layout()
    fig.savefig(out / "img" / "confusion.png", dpi=90)
    plt.close(fig)


def _cultural(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    c = summary["classifier"]
    counts = c["counts"]
    body = [[k, v["train"], v["test"], sum(c["licences"].get(k, {}).values())] for k, v in counts.items()]
    lic: dict[str, int] = {}
    for per in c["licences"].values():
        for name, n in per.items():
            lic[name] = lic.get(name, 0) + n
    dec = [
        [
            r["style"],
            r["label"],
            r["extra"].get("target", ""),
            r["value"],
            json.dumps(r["extra"].get("predicted", {})),
        ]
        for r in rows
        if r["metric"] == "deception_effl0_256"
    ]
    return (
        f"<p>Classifier: {html.escape(c['what'])} ({html.escape(c['reference'])}). Held-out accuracy "
        f"<b>{c['heldout_accuracy']:.3f}</b> (class-balanced {c['heldout_balanced_accuracy']:.3f}; chance "
        f"{c['chance_accuracy']:.3f}), split {html.escape(c['split'])}, L2 penalty {c['l2_penalty']} by "
        "4-fold CV on the training split.</p>"
        + _table(["class", "train", "held-out", "files"], body)
        + '<p><img src="img/confusion.png" alt="confusion matrix" width="480"></p>'
        + "<p>Licences of the classifier's data: "
        + "; ".join(f"{html.escape(k)}: {v}" for k, v in sorted(lic.items(), key=lambda x: -x[1]))
        + "</p><h3>Deception rate</h3><p>Fraction of outputs classified as the style's tradition "
        "(Sanakoyeu et al., ECCV 2018); the unstylized photo is the floor.</p>"
        + _table(["style", "system", "target", "deception ↑", "predicted classes"], dec)
    )


def _checklist(summary: dict[str, Any]) -> str:
    body = []
    for c in summary["checklist"]:
        for item in c["checks"]:
            rate = item["pass_rate"]
            body.append([c["style"], c["system"], item["check"], item["why"], rate, item["median"]])
    return (
        "<p>Pixel checks per tradition (<code>huafeng.eval.defects</code>); thresholds sit near the "
        "10th/90th percentile of real paintings. Rows <i>paintings</i> are the tradition's held-out "
        "paintings: the yardstick.</p>"
        + _table(["style", "system", "check", "why", "pass rate", "median value"], body)
    )


def render(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    """The report page (the PNGs must already exist under ``img/``)."""
    headers, body = summary_rows(rows)
    meta, pr = summary["meta"], summary["protocol"]
    grids = "".join(
        f"<h3>{html.escape(s['name'])} <small>({html.escape(str(s['tradition']))})</small></h3>"
        f"<p>Columns: content | reference painting | "
        + " | ".join(html.escape(v) for k, v in s["systems"].items() if k != "photo")
        + f'</p><img src="{html.escape(s["grid"])}" alt="{html.escape(s["name"])}" loading="lazy">'
        for s in summary["styles"]
    )
    metric_rows = [[m, d["reference"], d["protocol"]] for m, d in summary["metrics"].items()]
    proto = _table(["field", "value"], [[k, json.dumps(v, ensure_ascii=False)] for k, v in pr.items()])
    machine = meta["machine"]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>huafeng evaluation — "
        f"{html.escape(pr['name'])}</title><style>{CSS}</style></head><body>",
        f"<h1>huafeng evaluation <small>protocol <code>{html.escape(pr['name'])}</code></small></h1>",
        f"<p class='note'>{CAVEAT}</p>",
        "<h2 id='summary'>Summary</h2>",
        f"<p>{len(meta['content'])} photos at {pr['stylize_side']}², metrics at shorter side 256. "
        "↑ higher is better, ↓ lower is better; <b>bold</b> = best stylizing system per style.</p>",
        _table(headers, body, best_cells(body, BASELINE_LABEL)),
        "<h2 id='grids'>Image grids</h2>",
        grids,
        "<h2 id='charts'>Metrics per style</h2><img src='img/bars.png' alt='bar charts'>",
        "<h2 id='speed-quality'>Speed vs quality</h2>",
        "<img src='img/speed_quality.png' alt='speed-quality scatter' width='700'>",
        "<h2 id='cultural-fidelity'>Cultural fidelity</h2>",
        _cultural(summary, rows),
        "<h2 id='checklist'>Defect checklist</h2>",
        _checklist(summary),
        "<h2 id='protocol'>Protocol</h2>",
        proto,
        _table(["metric", "reference", "protocol"], metric_rows),
        "<h2 id='run'>Run</h2>",
        _table(
            ["", ""],
            [
                ["date", meta["date"]],
                ["command", meta["command"]],
                [
                    "machine",
                    f"{machine.get('processor')}, {machine.get('cpus_available')} CPUs, "
                    f"load {machine.get('loadavg')}",
                ],
                ["peer", str(meta.get("peer"))],
                ["photos", ", ".join(meta["content"])],
                ["feature cache", json.dumps(meta["feature_cache"])],
            ],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(out: Path, summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> Path:
    """Draw the charts and write ``report.html`` and ``summary.md`` into ``out``."""
    (out / "img").mkdir(parents=True, exist_ok=True)
    _plots(out, summary, rows)
    page = out / "report.html"
    atomic_write_bytes(page, render(summary, rows).encode("utf-8"))
    atomic_write_bytes(out / "summary.md", (summary_markdown(rows) + "\n").encode("utf-8"))
    return page


def rebuild(out: Path) -> Path:
    """Regenerate the page from a finished run's ``summary.json`` and ``results.jsonl``."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = [
        json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    return write_report(out, summary, rows)
