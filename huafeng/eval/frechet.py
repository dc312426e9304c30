"""Fréchet distance on EfficientNet-Lite0 features (FID-like), and ArtFID-like.

References:

* M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler, S. Hochreiter, "GANs trained by a two
  time-scale update rule converge to a local Nash equilibrium", NeurIPS 2017 (FID): fit a Gaussian
  to each set's deep features and report the Fréchet (2-Wasserstein) distance between them,
  ``‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)``.
* M. Wright, B. Ommer, "ArtFID: quantitative evaluation of neural style transfer", GCPR 2022:
  ``ArtFID = (1 + LPIPS(content, output)) · (1 + FID(style images, outputs))`` — one number that
  is low only when the output keeps the content *and* its statistics match the paintings.

Protocol (names ``fid_effl0_256`` and ``artfid_effl0_256``): every image is brought to shorter side
256 px on its own (:mod:`huafeng.eval.prep`); features are the 1280-d globally averaged head
activations of **EfficientNet-Lite0** (:mod:`huafeng.eval.backbone`); the second set is the
*tradition's* held-out paintings named by the protocol file, not the one painting a style was
trained on. ArtFID-like uses our LPIPS-like distance (:mod:`huafeng.eval.perceptual`), averaged
over the outputs.

**Not comparable to published FID / ArtFID numbers**: those use Inception-v3 pool3 features
(2048-d) and tens of thousands of images. Ours use another network and a few dozen images, and
FID is strongly biased upwards at small N (Chong & Forsyth, CVPR 2020), so only values computed
with the same protocol and the same set sizes may be compared with each other.

The matrix square root: ``tr((Σ₁Σ₂)^½)`` equals the sum of the square roots of the eigenvalues of
the symmetric PSD matrix ``Σ₁^½ Σ₂ Σ₁^½`` (similar to ``Σ₁Σ₂``). Two symmetric eigen-
decompositions give it exactly, without the complex round-off of a general ``sqrtm`` on a
rank-deficient product (a few dozen images in 1280 dimensions are always rank-deficient).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from huafeng.eval.features import DIM, FeatureCache
from huafeng.eval.gram import StyleReference
from huafeng.eval.registry import Metric, MetricResult, register_metric

_FID_REF = (
    "Heusel et al., GANs trained by a two time-scale update rule converge to a local Nash equilibrium, "
    "NeurIPS 2017"
)
_FID_PROTOCOL = (
    "EfficientNet-Lite0 1280-d pooled head features, each image at shorter side 256; Gaussian fit; "
    "Fréchet distance to the tradition's held-out paintings; not comparable to Inception FID"
)


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # type: ignore[no-any-return]


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """``‖μ₁−μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^½`` for two Gaussians (never negative)."""
    s1 = _sqrt_psd(sigma1)
    m = s1 @ sigma2 @ s1
    tr_covmean = float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())
    diff = mu1 - mu2
    d = float(diff @ diff) + float(np.trace(sigma1)) + float(np.trace(sigma2)) - 2.0 * tr_covmean
    return max(d, 0.0)


def gaussian_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (N−1)-normalised covariance of ``(N, D)`` features (as in pytorch-fid)."""
    x = np.asarray(feats, np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"a Fréchet distance needs at least 2 feature vectors per set, got {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fid_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between two ``(N, D)`` feature sets (exact; fast when N is much below D).

    With centred data ``A`` (n₁ x D) and ``B`` (n₂ x D), ``Σ₁Σ₂ = AᵀA BᵀB / c`` has the same non-zero
    eigenvalues as the small symmetric ``(A Bᵀ)(B Aᵀ) / c`` (n₁ x n₁), so a few dozen images cost an
    n₁ x n₁ eigen-decomposition instead of two 1280 x 1280 ones (seconds on a loaded CPU).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or min(len(a), len(b)) < 2:
        raise ValueError(
            f"a Fréchet distance needs at least 2 feature vectors per set, got {a.shape} and {b.shape}"
        )
    if min(len(a), len(b)) >= a.shape[1]:
        return frechet_distance(*gaussian_stats(a), *gaussian_stats(b))
    ca, cb = a - a.mean(0), b - b.mean(0)
    na, nb = len(a) - 1, len(b) - 1
    cross = ca @ cb.T  # (n1, n2)
    m = cross @ cross.T / (na * nb)
    tr_covmean = float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())
    diff = a.mean(0) - b.mean(0)
    tr = float(np.sum(ca * ca)) / na + float(np.sum(cb * cb)) / nb
    return max(float(diff @ diff) + tr - 2.0 * tr_covmean, 0.0)


@dataclass
class FeatureSet:
    """Pooled features of a set of images (the tradition's paintings), with the file names."""

    pooled: np.ndarray
    names: list[str] = field(default_factory=list)

    @classmethod
    def from_images(cls, images: Sequence[np.ndarray], cache: FeatureCache | None = None) -> FeatureSet:
        return cls((cache or FeatureCache(None)).of_arrays(images), [f"img{i}" for i in range(len(images))])

    @classmethod
    def from_files(cls, paths: Sequence[object], cache: FeatureCache | None = None) -> FeatureSet:
        from pathlib import Path

        ps = [Path(str(p)) for p in paths]
        return cls((cache or FeatureCache(None)).of_files(ps), [p.name for p in ps])


def _as_features(style: object, side: int) -> np.ndarray:
    if isinstance(style, FeatureSet):
        return style.pooled
    if isinstance(style, StyleReference):
        raise TypeError("Fréchet metrics compare with a set of paintings: pass a FeatureSet or arrays")
    return FeatureCache(None, side).of_arrays(list(style))  # type: ignore[call-overload]


@register_metric("fid_effl0_256")
class FrechetDistance(Metric):
    """FID-like distance between the outputs and the tradition's paintings (lower = closer)."""

    reference = _FID_REF
    protocol = _FID_PROTOCOL
    higher_is_better = False
    needs = frozenset({"style"})

    def evaluate(
        self,
        outputs: Sequence[np.ndarray],
        *,
        contents: Sequence[np.ndarray] | None = None,
        style: StyleReference | Sequence[np.ndarray] | FeatureSet | None = None,
        output_features: np.ndarray | None = None,
    ) -> MetricResult:
        self._check_needs(outputs, contents, style)
        t0 = time.perf_counter()
        out = (
            output_features
            if output_features is not None
            else FeatureCache(None, self.side).of_arrays(outputs)
        )
        ref = _as_features(style, self.side)
        return MetricResult(
            metric=self.name,
            value=fid_from_features(out, ref),
            num_images=len(out),
            seconds=time.perf_counter() - t0,
            higher_is_better=False,
            extra={"num_reference": len(ref), "dim": DIM},
        )


def artfid(perceptual: float, fid: float) -> float:
    """Wright & Ommer's combination: ``(1 + content distance) · (1 + Fréchet distance)``."""
    if math.isnan(perceptual) or math.isnan(fid):
        return math.nan
    return (1.0 + perceptual) * (1.0 + fid)


@register_metric("artfid_effl0_256")
class ArtFIDLike(Metric):
    """ArtFID-like: low only when content is kept and the outputs look like the paintings."""

    reference = "Wright & Ommer, ArtFID: quantitative evaluation of neural style transfer, GCPR 2022"
    protocol = (
        "(1 + mean percep_effl0_256 to the input photos) x (1 + fid_effl0_256 to the tradition's "
        "paintings); EfficientNet-Lite0, not Inception/LPIPS-VGG: not comparable to published ArtFID"
    )
    higher_is_better = False
    needs = frozenset({"content", "style"})

    def evaluate(
        self,
        outputs: Sequence[np.ndarray],
        *,
        contents: Sequence[np.ndarray] | None = None,
        style: StyleReference | Sequence[np.ndarray] | FeatureSet | None = None,
    ) -> MetricResult:
        from huafeng.eval.perceptual import perceptual_distance

        self._check_needs(outputs, contents, style)
        assert contents is not None
        t0 = time.perf_counter()
        lp = float(
            np.mean(
                [perceptual_distance(o, c, side=self.side) for o, c in zip(outputs, contents, strict=True)]
            )
        )
        fid = FrechetDistance(self.side).evaluate(outputs, style=style).value
        return MetricResult(
            metric=self.name,
            value=artfid(lp, fid),
            num_images=len(outputs),
            seconds=time.perf_counter() - t0,
            extra={"perceptual": lp, "fid": fid},
        )
