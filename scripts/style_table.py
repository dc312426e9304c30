"""Print the shipped-style table of docs/styles.md from the model cards inside the ONNX files.

Usage: python scripts/style_table.py [--data ../shared/data]
The table is generated so that the docs cannot drift from what ships: every figure comes from a card.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from huafeng.infer.session import inspect_model

STYLES = Path(__file__).resolve().parents[1] / "huafeng" / "assets" / "styles"


def _licences(data_root: Path, refs: list[str]) -> str:
    manifest = data_root / "MANIFEST.csv"
    if not manifest.is_file():
        return "see card"
    rows = {r["file"]: r["license"] for r in csv.DictReader(manifest.open(encoding="utf-8"))}
    found = {rows.get(r, "?") for r in refs}  # card paths are relative to the data root, like MANIFEST
    return "; ".join(sorted(found))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args()
    cols = ["name", "tradition", "reference painting(s)", "reference licence (MANIFEST)", "steps"]
    print("| " + " | ".join([*cols, "train min", "hardware", "MB"]) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(STYLES.glob("*.onnx")):
        info = inspect_model(path)
        card = json.loads(info.meta("card") or "{}")
        data = card.get("config", {}).get("data", {})
        refs = list(data.get("style_reference") or data.get("style") or [])
        names = data.get("style_names") or []
        shown = ", ".join(f"`{Path(r).name}`" for r in refs)
        if names:
            shown = ", ".join(f"{n}: `{Path(r).name}`" for n, r in zip(names, refs, strict=False))
        training = card.get("training", {})
        minutes = training.get("train_minutes", "–")
        hardware = training.get("hardware", "2-core CPU, 1 torch thread (first library; not in its card)")
        default = " (default)" if info.meta("default") == "1" else ""
        print(
            f"| `{path.stem}`{default} | {info.meta('tradition')} | {shown} | {_licences(args.data, refs)} | "
            f"{card.get('steps', '?')} | {minutes} | {hardware} | {path.stat().st_size / 2**20:.2f} |"
        )


if __name__ == "__main__":
    main()
