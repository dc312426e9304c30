"""Tuning probe for tradition styles: score candidates on photos that are neither training nor held out.

    python benchmarks/tradition_tuning.py shanshui_ink A.onnx B.onnx ink_shanshui [--data ../shared/data]

Why: choosing a setting (a critic weight, a run length) on the held-out photos that report the result
would make the report an upper estimate. This probe stylizes 24 *tuning* photos instead: training
photos in path-hash order from position 200 on, past the ones ``tradition_learnt.py`` trains on, none
a near-duplicate of a held-out photo. Per candidate it prints the mean Gram distance (EfficientNet-
Lite0, as graded) to 16 *training* paintings of the tradition, SSIM-Y, and the tradition classifier's
share and mean probability for the tradition (the probability moves before the share does). The
held-out protocol (``huafeng eval --protocol heldout``) then reports the chosen one once.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from tradition_learnt import training_files, training_photos  # benchmarks/ is on the path

REPO = Path(__file__).resolve().parents[1]


def painting_folders() -> dict[str, str]:
    """Classifier class → its painting folder under ``data`` (the classifier's own table)."""
    from huafeng.eval.classifier import FOLDERS

    return {cls: folder for folder, cls in FOLDERS.items() if folder.startswith("styles/")}


def tuning_photos(data: Path, n: int = 24) -> list[Path]:
    """``n`` training photos from hash position 200 on, none a near-duplicate of a held-out one."""
    return training_photos(data, n, start=200)


def score(style: str, cls: str, photos: list[np.ndarray], ref: object, cache: object) -> dict[str, object]:
    from huafeng.eval.classifier import CLASSES, TraditionClassifier
    from huafeng.eval.ssim import ssim_luma
    from huafeng.infer import StylizeOptions, Stylizer, resolve_style

    st, opts = Stylizer(resolve_style(style), threads=2), StylizeOptions(threads=2)
    outs = [st.stylize_array(im, opts) for im in photos]
    p = TraditionClassifier.load().predict_proba(cache.of_arrays(outs))  # type: ignore[attr-defined]
    k = CLASSES.index(cls)
    return {
        "style": style,
        "gram_training16": round(float(np.mean([ref.distance(o) for o in outs])), 4),  # type: ignore[attr-defined]
        "ssim_y": round(float(np.mean([ssim_luma(o, x) for o, x in zip(outs, photos, strict=True)])), 4),
        "share": round(float(np.mean(p.argmax(1) == k)), 4),
        "mean_p": round(float(p[:, k].mean()), 4),
        "predicted": dict(Counter(CLASSES[i] for i in p.argmax(1)).most_common(3)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cls", choices=sorted(painting_folders()), help="the tradition's classifier class")
    ap.add_argument("styles", nargs="+", help="style names or .onnx files")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    from huafeng.eval.features import FeatureCache
    from huafeng.eval.gram import StyleReference
    from huafeng.eval.inputs import square
    from huafeng.imageio import read_image
    from huafeng.splits import file_hash

    photos = [square(read_image(p).rgb, 384) for p in tuning_photos(args.data)]
    paintings = training_files(args.data, painting_folders()[args.cls])
    ref = StyleReference.from_files(sorted(paintings, key=lambda f: file_hash(f.name))[-16:])
    cache = FeatureCache(None)
    for style in args.styles:
        print(json.dumps(score(style, args.cls, photos, ref, cache), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
