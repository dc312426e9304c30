"""Turn a style made by ``learn-style`` from ``../shared/data`` into a shipped library style.

    python scripts/adopt_learnt.py RUN.onnx --name impressionism --data ../shared/data \\
        --tradition european_impressionism_postimpressionism --description TEXT \\
        [--json '{"measured": {...}, "note": "..."}'] [--overwrite] \\
        -o huafeng/assets/styles/impressionism.onnx

Why: a learnt style's card records the absolute paths it was trained on (``data.root: /``) and, with no
MANIFEST.csv at that root, "unknown" licences. A shipped card must instead name the data relative to
the data folder (as the library's cards do, ``root: ../shared/data``), carry every MANIFEST licence of
its paintings and photos, name its tradition, and hold the palette descriptor ``--style-image`` ranks
by. The network and the training record (steps, minutes, hardware, base attribution) are kept as they are.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx

from huafeng.errors import InputError
from huafeng.imageio import atomic_write_bytes, check_writable
from huafeng.train.adopt import DATA_ROOT, adopt_card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--name", required=True)
    ap.add_argument("--tradition", required=True, help="the tradition's folder under styles/")
    ap.add_argument("--description", required=True)
    ap.add_argument("--data", type=Path, default=Path(DATA_ROOT))
    ap.add_argument("--json", default="{}", help="more fields for the card (a JSON object)")
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--overwrite", action="store_true")
    a = ap.parse_args()
    try:
        check_writable(a.output, overwrite=a.overwrite, protect=[a.model])
    except InputError as e:
        raise SystemExit(str(e)) from None
    m = onnx.load(str(a.model))
    props = {p.key: p for p in m.metadata_props}
    card = adopt_card(json.loads(props["huafeng.card"].value), a.name, a.tradition, a.data, a.description)
    card |= json.loads(a.json)
    props["huafeng.card"].value = json.dumps(card, ensure_ascii=False)
    props["huafeng.name"].value = a.name
    props["huafeng.tradition"].value = a.tradition
    props["huafeng.description"].value = a.description
    props["huafeng.license"].value = "; ".join(card["license"])
    atomic_write_bytes(a.output, m.SerializeToString())
    print(a.output)


if __name__ == "__main__":
    main()
