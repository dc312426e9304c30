"""Retrain the tradition classifier shipped in ``huafeng/eval/models`` (see :mod:`.classifier`).

    python -m huafeng.eval.retrain_classifier --data ../shared/data

Writes ``tradition_classifier.npz`` (weights and standardisation, no pickles) and its card
``tradition_classifier.json`` (data, licence counts, held-out accuracy, confusion matrix). Features
are cached by content hash (``--cache``), so a rerun after adding paintings only extracts the new
ones. About 1000 images: a few minutes on one CPU thread.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huafeng.eval.classifier import DEFAULT_PATH, train_classifier


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Retrain the tradition classifier shipped in huafeng/eval/models."
    )
    ap.add_argument("--data", type=Path, default=Path("../shared/data"), help="data root with MANIFEST.csv")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--cap", type=int, default=120, help="at most this many files per class")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=None, help="feature cache folder (.npz per image)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # shared cores: one thread avoids OpenMP stalls (see backbone.py)
    clf = train_classifier(args.data, cap=args.cap, seed=args.seed, cache_dir=args.cache)
    clf.save(args.out)
    c = clf.card
    print(
        f"held-out accuracy {c['heldout_accuracy']:.3f} (balanced {c['heldout_balanced_accuracy']:.3f}, "
        f"chance {c['chance_accuracy']:.3f}); wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
