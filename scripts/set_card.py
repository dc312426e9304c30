"""Merge fields into a style model's card (and optionally its description), written atomically.

Measured figures come after export (``huafeng eval``), so they are added to the card here:

    python scripts/set_card.py MODEL.onnx --json '{"measured": {...}, "note": "..."}' [--description TEXT] -o OUT.onnx
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx

from huafeng.imageio import atomic_write_bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--json", required=True, help="fields to merge into huafeng.card (a JSON object)")
    ap.add_argument("--description", default=None)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args()
    m = onnx.load(str(a.model))
    props = {p.key: p for p in m.metadata_props}
    card = json.loads(props["huafeng.card"].value)
    card.update(json.loads(a.json))
    props["huafeng.card"].value = json.dumps(card, ensure_ascii=False)
    if a.description is not None:
        props["huafeng.description"].value = a.description
    atomic_write_bytes(a.output, m.SerializeToString())
    print(a.output)


if __name__ == "__main__":
    main()
