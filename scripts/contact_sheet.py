"""docs/img/styles_sheet.jpg: one photo through every shipped style (and two four_traditions mixes).

Usage: python scripts/contact_sheet.py [PHOTO] [-o docs/img/styles_sheet.jpg] [--size 240]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from huafeng import imageio
from huafeng.infer import StylizeOptions, Stylizer, list_styles

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("photo", type=Path, nargs="?", default=REPO / "huafeng/assets/samples/chelsea.jpg")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "docs/img/styles_sheet.jpg")
    ap.add_argument("--size", type=int, default=240)
    ap.add_argument("--cols", type=int, default=5)
    args = ap.parse_args()

    photo = imageio.read_image(args.photo)
    scale = args.size / max(photo.size)
    small = photo.with_rgb(
        imageio.resize(photo.rgb, (round(photo.size[0] * scale), round(photo.size[1] * scale)))
    )
    tiles: list[tuple[str, np.ndarray]] = [("photo", small.rgb)]
    for info in list_styles():
        if info.kind != "onnx" or info.source != "builtin":
            continue
        st = Stylizer(info, threads=1)
        if info.style_names:
            names = list(info.style_names)
            mixes = [{n: 1.0} for n in names] + [{names[0]: 0.5, names[2]: 0.5}]
            for mix in mixes:
                label = info.name + ": " + " + ".join(mix)
                tiles.append((label, st.stylize(small, StylizeOptions(style_weights=mix)).rgb))
        else:
            tiles.append((info.name, st.stylize(small, StylizeOptions()).rgb))
    h, w = small.rgb.shape[:2]
    rows = -(-len(tiles) // args.cols)
    sheet = PILImage.new("RGB", (args.cols * w, rows * (h + 16)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, rgb) in enumerate(tiles):
        x, y = (i % args.cols) * w, (i // args.cols) * (h + 16)
        sheet.paste(PILImage.fromarray(rgb), (x, y))
        draw.text((x + 3, y + h + 2), label[:40], fill="black")
    imageio.write_image(args.output, imageio.from_pil(sheet), overwrite=True)
    print(args.output, len(tiles), "tiles")


if __name__ == "__main__":
    main()
