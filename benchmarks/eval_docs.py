"""Put a finished ``huafeng eval`` run into docs/evaluation.md: tables and a picture of the report.

    .venv/bin/python benchmarks/eval_docs.py /path/to/report [--docs docs/evaluation.md]

Rewrites the generated sections (``CLASSIFIER``, ``EVAL_SUMMARY``) from the run's
``summary.json`` / ``results.jsonl`` only, so the docs cannot disagree with the run, and writes
``docs/img/eval_report.png`` (< 300 KB): a headless-Chromium screenshot of ``report.html`` when
``chromium`` is installed (Debian package), cropped to the summary and the first grid, next to the
bar charts and the speed–quality plot; without Chromium, the matplotlib pieces alone.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from huafeng.eval.html import summary_markdown  # noqa: E402
from huafeng.eval.report import markdown_table, update_doc_section  # noqa: E402
from huafeng.imageio import atomic_write_bytes  # noqa: E402

MAX_BYTES = 300_000
WIDTH = 1240


def classifier_md(card: dict[str, Any]) -> str:
    classes = card["confusion_matrix"]["rows_true_cols_pred"]
    cm = np.array(card["confusion_matrix"]["counts"])
    recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
    rows = [
        [c, card["counts"][c]["train"], card["counts"][c]["test"], f"{recall[i]:.2f}", *cm[i].tolist()]
        for i, c in enumerate(classes)
    ]
    short = [c[:6] for c in classes]
    lic: dict[str, int] = {}
    for per in card["licences"].values():
        for k, v in per.items():
            lic[k] = lic.get(k, 0) + v
    lic_rows = [[k, v] for k, v in sorted(lic.items(), key=lambda x: -x[1])]
    return (
        f"Held-out accuracy **{card['heldout_accuracy']:.3f}**, class-balanced "
        f"**{card['heldout_balanced_accuracy']:.3f}** (chance {card['chance_accuracy']:.3f}); L2 penalty "
        f"{card['l2_penalty']} chosen by CV; trained {card['date']} (`{card['command']}`). Rows: true "
        "class of the held-out paintings; columns: predicted.\n\n"
        + markdown_table(["class", "train", "held-out", "recall", *short], rows)
        + "\n\nLicences of the classifier's training and held-out files (research use; see the card):\n\n"
        + markdown_table(["licence (MANIFEST)", "files"], lic_rows)
    )


def summary_md(run: Path) -> str:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    m = summary["meta"]
    load = ", ".join(f"{x:.1f}" for x in m["machine"].get("loadavg") or [])
    return (
        f"Run {m['date']}, protocol `{summary['protocol']['name']}`, {len(m['content'])} photos at "
        f"{summary['protocol']['stylize_side']}², peer: {m['peer']}; {m['machine']['processor']}, "
        f"{m['machine']['cpus_available']} CPUs shared with other jobs (load average {load}), 1 thread.  \n"
        f"Command: `{m['command']}`\n\n"
        + summary_markdown(rows)
        + "\n\nSSIM-Y and perceptual: against the input photo. Gram: to the style's own reference "
        "painting(s). FID-like / ArtFID-like: to 16 held-out paintings of the tradition. Deception: "
        "share of outputs classified as the tradition. Warping error ×10³. Latency: seconds per "
        f"{summary['protocol']['stylize_side']}² image, 1 thread, on a loaded machine (compare "
        "within the table, not with docs/benchmarks.md)."
    )


def _shot(html: Path, height: int) -> PILImage.Image | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "shot.png"
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--window-size={WIDTH},{height}", f"--screenshot={png}", html.as_uri()]  # fmt: skip
        subprocess.run(cmd, capture_output=True, timeout=180, check=False)
        return PILImage.open(png).convert("RGB") if png.exists() else None


def picture(run: Path, dest: Path) -> None:
    """Top of the rendered report (title, caveat, summary, first grid) beside bars and scatter."""
    shot = _shot(run / "report.html", 1500)
    parts = [shot.crop((0, 0, WIDTH, 1500))] if shot is not None else []
    for name in ("bars.png", "speed_quality.png"):
        im = PILImage.open(run / "img" / name).convert("RGB")
        parts.append(im.resize((WIDTH, round(im.height * WIDTH / im.width))))
    canvas = PILImage.new("RGB", (WIDTH, sum(p.height for p in parts)), "white")
    y = 0
    for p in parts:
        canvas.paste(p, (0, y))
        y += p.height
    for scale in (0.7, 0.6, 0.5, 0.42, 0.35):  # largest size that fits the budget
        small = canvas.resize((round(canvas.width * scale), round(canvas.height * scale)), PILImage.LANCZOS)
        buf = io.BytesIO()
        small.quantize(colors=192, method=PILImage.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
        if buf.tell() < MAX_BYTES:
            break
    atomic_write_bytes(dest, buf.getvalue())
    print(f"wrote {dest} ({buf.tell() // 1024} KB, scale {scale})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a finished huafeng eval output folder")
    ap.add_argument("--docs", type=Path, default=REPO / "docs" / "evaluation.md")
    ap.add_argument("--image", type=Path, default=REPO / "docs" / "img" / "eval_report.png")
    args = ap.parse_args(argv)
    summary = json.loads((args.run / "summary.json").read_text(encoding="utf-8"))
    update_doc_section(args.docs, "CLASSIFIER", classifier_md(summary["classifier"]))
    update_doc_section(args.docs, "EVAL_SUMMARY", summary_md(args.run))
    picture(args.run, args.image)
    print(f"rewrote the generated sections of {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
