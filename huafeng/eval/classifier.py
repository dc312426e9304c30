"""Tradition classifier and deception rate: does a stylization pass for a painting of its tradition?

Reference: A. Sanakoyeu, D. Kotovenko, S. Lang, B. Ommer, "A style-aware content loss for
real-time HD style transfer", ECCV 2018: train a classifier on real artworks, then report the
**deception rate** — the fraction of a model's stylized outputs that the classifier assigns to the
target artist (here: tradition). Texture statistics (Gram) can match while the result still reads
as "a filtered photo"; a classifier that has also seen photos catches that.

Our classifier (:func:`train_classifier`, rerun with ``python -m huafeng.eval.retrain_classifier``):

* **classes**: the painting folders of ``../shared/data/styles`` that carry a tradition
  (:data:`FOLDERS`), plus ``photo`` = the content photos; the 7-image South-Asian folder is too
  small to learn and is left out;
* **features**: EfficientNet-Lite0 1280-d pooled features at shorter side 256 (the same features
  as the Fréchet metric, :mod:`huafeng.eval.features`), standardised with the training mean/std;
* **model**: multinomial logistic regression (linear softmax), L2 penalty chosen by 4-fold
  cross-validation on the training split, **class-balanced** loss weights (the folders hold 31 to
  320 images), L-BFGS, fixed seed;
* **split**: held out **by file** — a file is a test file when the first 8 hex digits of the
  SHA-1 of its MANIFEST path, mod 100, fall below 25 (stable when files are added); at most
  ``cap`` files per class are used (chosen by the same hash order), so no tradition dominates;
  the photo class takes up to ``2 cap``, the non-ImageNet photos first (they are the varied
  ones), and the photos a shipped protocol names are always held out.

The stored model (``models/tradition_classifier.npz``: weights and standardisation only, loaded
with ``allow_pickle=False``) travels with a card (``.json``: data, licence counts, held-out
accuracy, confusion matrix). The classifier is a grading tool with a known error rate: read the
deception rates next to its held-out accuracy and confusion matrix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.eval.features import BACKBONE_ID, FeatureCache
from huafeng.eval.prep import EVAL_SIDE
from huafeng.eval.registry import Metric, MetricResult, register_metric
from huafeng.splits import HELDOUT_PERCENT, file_hash, is_heldout, protocol_photos  # noqa: F401

#: MANIFEST folder → class name. The style models' ``tradition`` field is the folder's last part.
FOLDERS: dict[str, str] = {
    "styles/chinese_shanshui_landscape": "shanshui_ink",
    "styles/chinese_huaniao_flower_bird": "huaniao",
    "styles/chinese_renwu_figure": "renwu",
    "styles/japanese_ukiyoe_and_edo": "ukiyoe",
    "styles/european_impressionism_postimpressionism": "impressionism",
    "styles/western_modern_expressionist": "modern_expressionist",
    "styles/sketch_vangogh_drawings": "vangogh_drawing",
    "styles/western_old_masters_and_american": "old_masters",
    "content": "photo",
}
CLASSES: tuple[str, ...] = tuple(FOLDERS.values())
MODEL_DIR = Path(__file__).parent / "models"
DEFAULT_PATH = MODEL_DIR / "tradition_classifier.npz"
TEST_PERCENT = HELDOUT_PERCENT
#: Photos are plentiful and varied: the photo class may use this many times ``cap`` files.
PHOTO_CAP_FACTOR = 2
LAMBDAS = (1e-2, 1e-1, 1.0, 10.0)


def tradition_class(tradition: str) -> str | None:
    """The class of a style's ``tradition`` (``japanese_ukiyoe_and_edo`` → ``ukiyoe``), if any."""
    t = tradition.strip().lower()
    for folder, cls in FOLDERS.items():
        if t in (folder, folder.split("/")[-1], cls):
            return cls
    return None


def is_test(relpath: str) -> bool:
    """The held-out split, by file (:mod:`huafeng.splits`: training never sees these)."""
    return is_heldout(relpath)


@dataclass(frozen=True)
class Sample:
    relpath: str
    label: str
    licence: str


def collect(data_root: Path, cap: int) -> list[Sample]:
    """The labelled files (MANIFEST order by hash), at most ``cap`` per class."""
    manifest = data_root / "MANIFEST.csv"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest}: the data set's MANIFEST.csv is missing")
    with manifest.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_class: dict[str, list[Sample]] = {c: [] for c in CLASSES}
    for r in rows:
        parent = r["file"].rsplit("/", 1)[0]
        label = FOLDERS.get(parent) or FOLDERS.get(parent.split("/")[0])
        if label and (data_root / r["file"]).exists():
            by_class[label].append(Sample(r["file"], label, r.get("license", "")))
    out: list[Sample] = []
    for label, items in by_class.items():
        if label == "photo":
            # ImageNet samples are 93% of the photos but one kind of picture (centred objects);
            # take the varied rest (landscapes, streets, animals, textures) first, then ImageNet
            key = lambda s: ("imagenet" in s.relpath.lower(), file_hash(s.relpath))  # noqa: E731
            out += sorted(items, key=key)[: cap * PHOTO_CAP_FACTOR]
        else:
            out += sorted(items, key=lambda s: file_hash(s.relpath))[:cap]
    return out


# ------------------------------------------------------------------------------------------ model


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def fit_softmax(x: np.ndarray, y: np.ndarray, k: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced multinomial logistic regression on standardised ``x``; returns ``(W, b)``."""
    from scipy.optimize import minimize

    n, d = x.shape
    counts = np.bincount(y, minlength=k).astype(np.float64)
    w_i = (n / (k * np.maximum(counts, 1)))[y]
    w_i /= w_i.sum()
    onehot = np.eye(k)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: k * d].reshape(k, d), theta[k * d :]
        p = _softmax(x @ w.T + b)
        nll = -float(np.sum(w_i * np.log(np.clip((p * onehot).sum(1), 1e-300, None))))
        g = (p - onehot) * w_i[:, None]
        gw = g.T @ x + lam * w
        return nll + 0.5 * lam * float(np.sum(w * w)), np.concatenate([gw.ravel(), g.sum(0)])

    res = minimize(loss, np.zeros(k * d + k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[: k * d].reshape(k, d), res.x[k * d :]


def _cv_lambda(x: np.ndarray, y: np.ndarray, k: int, seed: int) -> tuple[float, dict[str, float]]:
    """Pick the L2 penalty by 4-fold balanced accuracy on the training split only."""
    folds = np.random.default_rng(seed).permutation(len(y)) % 4
    scores: dict[str, float] = {}
    for lam in LAMBDAS:
        accs = []
        for f in range(4):
            tr, va = folds != f, folds == f
            w, b = fit_softmax(x[tr], y[tr], k, lam)
            accs.append(balanced_accuracy(y[va], (x[va] @ w.T + b).argmax(1), k))
        scores[str(lam)] = float(np.mean(accs))
    best = max(LAMBDAS, key=lambda v: scores[str(v)])
    return best, scores


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    per = [float((pred[y == c] == c).mean()) for c in range(k) if (y == c).any()]
    return float(np.mean(per))


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (y, pred), 1)
    return m


@dataclass
class TraditionClassifier:
    """A linear softmax over standardised pooled features; numpy only at prediction time."""

    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    card: dict[str, Any] = field(default_factory=dict)

    def logits(self, feats: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(feats) - self.mean) / self.scale
        return z @ self.weight.T.astype(np.float64) + self.bias  # type: ignore[no-any-return]

    def predict_proba(self, feats: np.ndarray) -> np.ndarray:
        return _softmax(self.logits(feats))

    def predict(self, feats: np.ndarray) -> list[str]:
        return [self.classes[i] for i in self.logits(feats).argmax(1)]

    def save(self, path: Path) -> None:
        from huafeng.imageio import atomic_write_bytes

        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            classes=np.array(self.classes),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            weight=self.weight.astype(np.float32),
            bias=self.bias.astype(np.float32),
        )
        atomic_write_bytes(path, buf.getvalue())
        text = json.dumps(self.card, indent=2, ensure_ascii=False) + "\n"
        atomic_write_bytes(path.with_suffix(".json"), text.encode("utf-8"))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> TraditionClassifier:
        with np.load(path, allow_pickle=False) as z:
            parts = {k: z[k] for k in ("classes", "mean", "scale", "weight", "bias")}
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
        return cls(
            tuple(str(c) for c in parts["classes"]),
            parts["mean"].astype(np.float64),
            parts["scale"].astype(np.float64),
            parts["weight"].astype(np.float64),
            parts["bias"].astype(np.float64),
            card,
        )


def train_classifier(
    data_root: Path, *, cap: int = 120, seed: int = 0, cache_dir: Path | None = None
) -> TraditionClassifier:
    """Extract features, pick the penalty by CV on the training split, fit, score the held-out files."""
    samples = collect(data_root, cap)
    cache = FeatureCache(cache_dir, EVAL_SIDE)
    t0 = time.perf_counter()
    x = cache.of_files([data_root / s.relpath for s in samples])
    seconds = time.perf_counter() - t0
    y = np.array([CLASSES.index(s.label) for s in samples])
    test = np.array([is_test(s.relpath) for s in samples])
    k = len(CLASSES)
    mean, scale = x[~test].mean(0), x[~test].std(0) + 1e-6
    z = (x - mean) / scale
    lam, cv = _cv_lambda(z[~test], y[~test], k, seed)
    w, b = fit_softmax(z[~test], y[~test], k, lam)
    pred = (z[test] @ w.T + b).argmax(1)
    cm = confusion(y[test], pred, k)
    lic: dict[str, Counter[str]] = {c: Counter() for c in CLASSES}
    for s in samples:
        lic[s.label][s.licence] += 1
    card = {
        "what": "tradition classifier: linear softmax on EfficientNet-Lite0 pooled features (deception rate)",
        "reference": DeceptionRate.reference,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m huafeng.eval.retrain_classifier " + " ".join(sys.argv[1:]),
        "backbone": BACKBONE_ID,
        "eval_side": EVAL_SIDE,
        "classes": list(CLASSES),
        "folders": FOLDERS,
        "cap_per_class": cap,
        "seed": seed,
        "split": f"held out by file: sha1(MANIFEST path)[:8] mod 100 < {TEST_PERCENT}, plus protocol photos",
        "l2_penalty": lam,
        "cv_balanced_accuracy": cv,
        "counts": {
            c: {"train": int(((y == i) & ~test).sum()), "test": int(((y == i) & test).sum())}
            for i, c in enumerate(CLASSES)
        },
        "licences": {c: dict(v) for c, v in lic.items()},
        "heldout_accuracy": float((pred == y[test]).mean()),
        "heldout_balanced_accuracy": balanced_accuracy(y[test], pred, k),
        "chance_accuracy": 1.0 / k,
        "confusion_matrix": {"rows_true_cols_pred": list(CLASSES), "counts": cm.tolist()},
        "feature_seconds": round(seconds, 1),
        "note": "research-use data (see licences); a grading tool, not a product model",
    }
    return TraditionClassifier(CLASSES, mean, scale, w, b, card)


# ----------------------------------------------------------------------------------- the metric


@register_metric("deception_effl0_256")
class DeceptionRate(Metric):
    """Fraction of outputs the tradition classifier assigns to the target tradition (higher = better)."""

    reference = (
        "Sanakoyeu, Kotovenko, Lang, Ommer, A style-aware content loss for real-time HD style transfer, "
        "ECCV 2018"
    )
    protocol = (
        "EfficientNet-Lite0 pooled features at shorter side 256 -> the stored linear tradition classifier "
        "(9 classes incl. photo); fraction of outputs whose argmax is the style's tradition"
    )
    higher_is_better = True

    def __init__(
        self, side: int = EVAL_SIDE, target: str = "", classifier: TraditionClassifier | None = None
    ) -> None:
        super().__init__(side)
        cls = tradition_class(target)
        if cls is None:
            raise ValueError(f"no classifier class for tradition {target!r}; known: {', '.join(CLASSES)}")
        self.target = cls
        self.classifier = classifier or TraditionClassifier.load()

    def evaluate(
        self,
        outputs: Sequence[np.ndarray],
        *,
        contents: Sequence[np.ndarray] | None = None,
        style: object = None,
        output_features: np.ndarray | None = None,
    ) -> MetricResult:
        t0 = time.perf_counter()
        feats = (
            output_features
            if output_features is not None
            else FeatureCache(None, self.side).of_arrays(outputs)
        )
        pred = self.classifier.predict(feats)
        hits = [float(p == self.target) for p in pred]
        return MetricResult(
            metric=self.name,
            value=float(np.mean(hits)) if hits else float("nan"),
            num_images=len(hits),
            seconds=time.perf_counter() - t0,
            per_image=tuple(hits),
            higher_is_better=True,
            extra={"target": self.target, "predicted": dict(Counter(pred))},
        )
