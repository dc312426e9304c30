"""The neutral reference a look is measured against, as statistics rather than photos.

A look is "how these photos differ from ordinary photos". When the user gives no reference
folder, huafeng uses a shipped summary of ordinary photos: a 16³ colour histogram (sRGB bins),
the median fine-noise level and the median radial brightness profile. Aggregates only — no image
can be reconstructed from them — so shipping them does not ship the photos. The asset is built
with ``python -m huafeng.looks.reference PHOTOS_DIR OUT.json`` (see docs/looks_and_video.md for
the folder it was built from).
"""

from __future__ import annotations

import importlib.resources
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, atomic_write_bytes, check_writable, list_images, read_image, to_float

BINS = 16
#: Long sides at which the reference noise is measured: fine-scale "noise" depends on scale (a
#: downsized photo packs more texture per pixel), so a look is compared at its own photos' size.
NOISE_SIDES = (256, 512, 1024)


@dataclass(frozen=True)
class ReferenceStats:
    histogram: np.ndarray  # (BINS, BINS, BINS) float, sums to 1, indexed [r, g, b]
    noise_sigma: float  # median of fit._noise_sigma over the photos (at up to 1024 px)
    radial: np.ndarray  # median fit._radial_profile
    photos: int
    source: str = ""
    noise_at: dict[int, float] | None = None  # median noise with the long side at NOISE_SIDES
    noise_p90_at: dict[int, float] | None = None  # 90th percentile of the photos' noise
    #: Per-photo content variance of the colours (confidence.content_spread, ΔE²); None = unknown.
    content_spread: float | None = None

    def noise_for_side(self, side: float, p90: bool = False) -> float:
        """Reference noise (median, or 90th percentile) at the long side nearest to ``side``."""
        table = self.noise_p90_at if p90 else self.noise_at
        if not table:
            return self.noise_sigma
        best = min(table, key=lambda k: abs(np.log(k / max(side, 1.0))))
        return table[best]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` sRGB colours drawn from the histogram, jittered uniformly inside each bin."""
        p = self.histogram.ravel()
        idx = rng.choice(len(p), size=n, p=p / p.sum())
        rgb = np.stack(np.unravel_index(idx, self.histogram.shape), -1).astype(np.float32)
        return ((rgb + rng.random((n, 3), dtype=np.float32)) / BINS).astype(np.float32)

    def to_json(self) -> dict[str, object]:
        return {
            "bins": BINS,
            "histogram": [round(float(v), 7) for v in self.histogram.ravel()],
            "noise_sigma": self.noise_sigma,
            "radial": [round(float(v), 5) for v in self.radial],
            "photos": self.photos,
            "source": self.source,
            "noise_at": {str(k): round(v, 6) for k, v in (self.noise_at or {}).items()},
            "noise_p90_at": {str(k): round(v, 6) for k, v in (self.noise_p90_at or {}).items()},
            "content_spread": None if self.content_spread is None else round(self.content_spread, 3),
        }

    @classmethod
    def from_json(cls, d: dict[str, object], name: str = "reference") -> ReferenceStats:
        try:
            hist = np.asarray(d["histogram"], np.float64).reshape(BINS, BINS, BINS)
            radial = np.asarray(d["radial"], np.float64)
            sigma, photos = d["noise_sigma"], d["photos"]
            if not isinstance(sigma, (int, float)) or not isinstance(photos, int):
                raise TypeError("noise_sigma and photos must be numbers")
            noise_at = d.get("noise_at") or {}
            noise_p90 = d.get("noise_p90_at") or {}
            if not isinstance(noise_at, dict) or not isinstance(noise_p90, dict):
                raise TypeError("noise_at and noise_p90_at must be objects")
            spread = d.get("content_spread")
            if spread is not None and not isinstance(spread, (int, float)):
                raise TypeError("content_spread must be a number")
            return cls(
                hist,
                float(sigma),
                radial,
                photos,
                str(d.get("source", "")),
                {int(k): float(v) for k, v in noise_at.items()},
                {int(k): float(v) for k, v in noise_p90.items()},
                None if spread is None else float(spread),
            )
        except (KeyError, ValueError, TypeError) as e:
            raise InputError(f"{name}: not a look reference file ({e})") from None


def build_reference(images: Sequence[Image], source: str = "") -> ReferenceStats:
    """Summarise ordinary photos (each weighs the same) into :class:`ReferenceStats`."""
    from huafeng.looks.confidence import content_spread
    from huafeng.looks.fit import STAT_SIDE, _noise_sigma, _radial_profile, _small, sample_colors

    if not images:
        raise InputError("a reference needs at least one photo")
    hist = np.zeros((BINS,) * 3)
    noise, radial = [], []
    noise_at: dict[int, list[float]] = {side: [] for side in NOISE_SIDES}
    rng = np.random.default_rng(0)
    samples = []
    for im in images:
        x = to_float(im.rgb)
        small = _small(x, STAT_SIDE)
        for side in NOISE_SIDES:
            if max(x.shape[:2]) >= side:  # only photos that really have that many pixels
                noise_at[side].append(_noise_sigma(_small(x, side)))
        q = np.minimum((small.reshape(-1, 3) * BINS).astype(np.int64), BINS - 1)
        h = np.bincount(q[:, 0] * BINS * BINS + q[:, 1] * BINS + q[:, 2], minlength=BINS**3)
        hist += (h / h.sum()).reshape(hist.shape)
        noise.append(_noise_sigma(x))
        radial.append(_radial_profile(small))
        samples.append(sample_colors([small], 2000, rng))
    return ReferenceStats(
        hist / hist.sum(),
        float(np.median(noise)),
        np.median(radial, 0),
        len(images),
        source,
        {k: float(np.median(v)) for k, v in noise_at.items() if v},
        {k: float(np.percentile(v, 90)) for k, v in noise_at.items() if v},
        content_spread(samples, rng),
    )


def load_reference(path: str | os.PathLike[str]) -> ReferenceStats:
    p = Path(path)
    try:
        return ReferenceStats.from_json(json.loads(p.read_text(encoding="utf-8")), str(p))
    except (OSError, ValueError) as e:
        raise InputError(f"{p}: cannot read look reference ({e})") from None


def default_reference() -> ReferenceStats:
    """The shipped summary of ordinary photos (``huafeng/assets/looks/neutral_reference.json``)."""
    res = importlib.resources.files("huafeng") / "assets" / "looks" / "neutral_reference.json"
    return ReferenceStats.from_json(json.loads(res.read_text(encoding="utf-8")), "neutral_reference.json")


def main(argv: list[str] | None = None) -> int:
    """``python -m huafeng.looks.reference PHOTOS_DIR OUT.json [--limit N]``: build the asset."""
    args = list(sys.argv[1:] if argv is None else argv)
    limit = 300
    if "--limit" in args:
        i = args.index("--limit")
        limit = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 2:
        print(main.__doc__)
        return 2
    paths = list_images([args[0]])
    step = max(1, len(paths) // limit)
    imgs = [read_image(p) for p in paths[::step][:limit]]
    out = check_writable(args[1], overwrite=True)
    stats = build_reference(imgs, source=f"{len(imgs)} photos from {Path(args[0]).name}/")
    atomic_write_bytes(out, json.dumps(stats.to_json()).encode())
    print(f"{out}: {stats.photos} photos, noise {stats.noise_sigma:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
