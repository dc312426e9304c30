"""Print the shipped-style table of docs/styles.md from the model cards inside the ONNX files.

Usage: python scripts/style_table.py
The table is generated so that the docs cannot drift from what ships: every figure comes from a card.
"""

from __future__ import annotations

import json
from pathlib import Path

from huafeng.infer.session import inspect_model

STYLES = Path(__file__).resolve().parents[1] / "huafeng" / "assets" / "styles"


def _paintings(card: dict) -> str:  # type: ignore[type-arg]
    style = (card.get("data") or {}).get("style") or {}
    entries = [str(e) for e in style.get("entries") or []]
    shown = ", ".join(f"`{Path(e).name}`" for e in entries[:2]) + (" …" if len(entries) > 2 else "")
    return f"{style.get('images', '?')} ({shown})"


def main() -> None:
    cols = ["name", "tradition", "paintings (entries)", "base style", "steps", "train min", "hardware", "MB"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for path in sorted(STYLES.glob("*.onnx")):
        info = inspect_model(path)
        card = json.loads(info.meta("card") or "{}")
        training = card.get("training", {})
        default = " (default)" if info.meta("default") in ("1", "true") else ""
        subs = f" — {len(info.style_names)} styles" if info.style_names else ""
        print(
            f"| `{path.stem}`{default}{subs} | {info.meta('tradition')} | {_paintings(card)} | "
            f"{card.get('base_styles', '–')} | {card.get('steps', '?')} | {training.get('train_minutes', '–')} | "
            f"{training.get('hardware', '–')} | {path.stat().st_size / 2**20:.2f} |"
        )


if __name__ == "__main__":
    main()
