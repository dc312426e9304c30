"""Report building blocks: Markdown tables, JSON/JSONL files, and generated sections in docs.

Benchmarks and evaluation runs write their numbers once, to JSON, and every human-readable view
(tables, the results section of ``docs/benchmarks.md``) is generated from that file, so a table
can never disagree with the run it claims to show. Generated sections sit between HTML comment
markers and are replaced whole; the prose around them is left alone.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from huafeng.imageio import atomic_write_bytes


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: floats to ``digits`` significant figures, missing values as an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if abs(value) >= 10**digits else f"{value:.{digits}g}"  # 1448, not 1.45e+03
    return str(value)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned)."""
    body = [[fmt(v, digits) for v in row] for row in rows]
    align = ["---:" if body and _numeric(r[i] for r in body) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def _numeric(cells: Iterable[str]) -> bool:
    def ok(c: str) -> bool:
        try:
            float(c.rstrip("×x%"))
            return True
        except ValueError:
            return c == "–"

    return all(ok(c) for c in cells)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Pretty JSON, written atomically (a crashed run never leaves half a results file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=True) + "\n"
    atomic_write_bytes(p, text.encode("utf-8"))
    return p


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    """One JSON object per line (stylegan3's result format), written atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=True) + "\n" for r in rows)
    atomic_write_bytes(p, text.encode("utf-8"))
    return p


def replace_section(text: str, name: str, body: str) -> str:
    """Replace what lies between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` (append if absent)."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        return text.rstrip("\n") + "\n\n" + block + "\n"
    return text[:i] + block + text[j + len(end) :]


def update_doc_section(path: str | os.PathLike[str], name: str, body: str) -> Path:
    """:func:`replace_section` on a file, written atomically."""
    p = Path(path)
    old = p.read_text(encoding="utf-8") if p.exists() else ""
    atomic_write_bytes(p, replace_section(old, name, body).encode("utf-8"))
    return p


# ------------------------------------------------------------------ latency/quality race views
# Schema of a race's results.json (benchmarks/race_styletransfer_lite.py writes it):
#   meta:    date, command, machine (machine_info()), threads, repeats, warmup, sizes, quality_size, ...
#   styles:  [{name, kind, source, steps, trained, path, refs}]
#   latency: [{style, size, latency: {system: Timing.to_dict()}, peer_builtin_over_huafeng, ...}]
#   rss:     [{style, size, <system>: peak MiB}]
#   quality: [{style, system, n, <metric>: {mean, std}}]

#: Contender keys in results.json → how tables and plots name them.
SYSTEM_LABELS = {
    "huafeng": "huafeng (tile=0)",
    "huafeng_auto": "huafeng (auto tiling)",
    "peer_builtin": "peer built-in style",
    "peer_arbitrary": "peer arbitrary (our painting)",
    "photo": "unstylized photo",
}
#: In quality runs huafeng uses its default options (auto tiling), not the tile=0 of the latency race.
QUALITY_LABELS = {"huafeng": "huafeng (default options)"}
#: Quality columns: metric name → header (arrow = better direction).
QUALITY_COLUMNS = {
    "gram_effl0_256_mean": "Gram → mean ref ↓",
    "gram_effl0_256_nearest": "Gram → nearest ref ↓",
    "ssim_y256": "SSIM-Y ↑",
    "percep_effl0_256": "perceptual ↓",
}
_LATENCY_HEADERS = [
    "size",
    "huafeng s",
    "huafeng auto-tile s",
    "peer built-in s",
    "peer arbitrary s",
    "peer ÷ huafeng",
    "peak RSS huafeng MiB",
    "peak RSS peer MiB",
]


def race_markdown(results: dict[str, Any]) -> str:
    """The results section of ``docs/benchmarks.md``, built only from a race's results.json."""
    m, parts = results["meta"], []
    untrained = [s["name"] for s in results["styles"] if not s["trained"]]
    if untrained:
        parts.append(
            f"> **Pipeline check, not a result:** {', '.join(untrained)} is not a trained style "
            "(a filter look or a test model). Do not quote these numbers.\n"
        )
    load = ", ".join(f"{x:.2f}" for x in m["machine"].get("loadavg") or [])
    parts.append(
        f"Run {m['date']} on {m['machine']['processor']}, {m['threads']} threads, median of "
        f"{m['repeats']} interleaved runs after {m['warmup']} warm-up, load average at start {load}.  \n"
        f"Command: `{m['command']}`\n"
    )
    rss = {(r["style"], r["size"]): r for r in results["rss"]}
    for s in results["styles"]:
        rows = []
        for r in (x for x in results["latency"] if x["style"] == s["name"]):
            lat, mem = r["latency"], rss.get((s["name"], r["size"]), {})
            med = {k: v["median_s"] for k, v in lat.items()}
            over = r.get("peer_builtin_over_huafeng")
            ratio = f"{over:.2f}×" if over is not None else "peer not run"
            rows.append([f"{r['size']}²", med["huafeng"], med.get("huafeng_auto"), med.get("peer_builtin")])
            ours = fmt(mem.get("huafeng")) + (
                f" (auto: {fmt(mem['huafeng_auto'])})" if "huafeng_auto" in mem else ""
            )
            rows[-1] += [med.get("peer_arbitrary"), ratio, ours, mem.get("peer_builtin")]
        parts.append(f"**Latency, style `{s['name']}`** ({s['kind']}, seconds per image)\n")
        parts.append(markdown_table(_LATENCY_HEADERS, rows) + "\n")
    if results["quality"]:
        parts.append(
            f"**Quality**, {m['n_images']} photos at {m['quality_size']}², mean ± sd over photos "
            "(↓ lower is better, ↑ higher is better)\n"
        )
        qrows = [
            [q["style"], QUALITY_LABELS.get(q["system"], SYSTEM_LABELS.get(q["system"], q["system"]))]
            + [f"{q[k]['mean']:.3f} ± {q[k]['std']:.3f}" for k in QUALITY_COLUMNS]
            + [q["n"]]
            for q in results["quality"]
        ]
        headers = ["style", "system", *QUALITY_COLUMNS.values(), "n"]
        parts.append(markdown_table(headers, qrows) + "\n")
    return "\n".join(parts)


def race_plot(results: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Left: latency vs size (log-log) per contender. Right: style distance vs content SSIM."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    colours = {k: f"C{i}" for i, k in enumerate(SYSTEM_LABELS)}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for k, s in enumerate(results["styles"]):
        rows = [r for r in results["latency"] if r["style"] == s["name"]]
        for system in ("huafeng", "huafeng_auto", "peer_builtin", "peer_arbitrary"):
            peer = system.startswith("peer")
            pts = [(r["size"], r["latency"][system]["median_s"]) for r in rows if system in r["latency"]]
            if not pts or (peer and k > 0):  # the peer does not depend on our style: draw it once
                continue
            label = SYSTEM_LABELS[system] + ("" if peer else f" · {s['name']}")
            xs, ys = zip(*pts, strict=True)
            colour = (
                colours[system] if peer or k == 0 else f"C{(5 + 2 * k + (system == 'huafeng_auto')) % 10}"
            )
            ax1.plot(xs, ys, marker="osD^vP*X"[k % 8], ls="--" if peer else "-", color=colour, label=label)
    sizes = results["meta"]["sizes"]
    ax1.set(xscale="log", yscale="log", xlabel="image side, px (square)", ylabel="median s / image")
    ax1.set_xticks(sizes, [str(x) for x in sizes])
    ax1.xaxis.set_minor_locator(ticker.NullLocator())
    ax1.yaxis.set_minor_formatter(ticker.FormatStrFormatter("%.2g"))
    ax1.tick_params(axis="y", which="minor", labelsize=7)
    ax1.set_title(f"Latency, {results['meta']['threads']} threads", fontsize=10)
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=8)
    markers = "osD^vP*X"
    for q in results["quality"]:
        x, y = q["gram_effl0_256_mean"]["mean"], q["ssim_y256"]["mean"]
        k = [s["name"] for s in results["styles"]].index(q["style"])
        ax2.scatter([x], [y], s=50, color=colours.get(q["system"]), marker=markers[k % len(markers)])
        name = QUALITY_LABELS.get(q["system"], SYSTEM_LABELS.get(q["system"], q["system"]))
        ax2.annotate(f"{name} · {q['style']}", (x, y), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax2.set(xlabel="Gram distance to the style's paintings ↓", ylabel="SSIM on luma vs the photo ↑")
    ax2.set_title("Left = closer to the paintings, up = more of the photo kept", fontsize=10)
    ax2.grid(True, alpha=0.3)
    if any(not s["trained"] for s in results["styles"]):
        fig.suptitle("PIPELINE CHECK: untrained style(s), not a result", color="firebrick", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
