"""The metric registry: ``@register_metric(name)``, one front door, results as JSONL.

Modelled on stylegan3's ``metrics/metric_main.py``: every metric is registered under a name that
carries its protocol (``ssim_y256`` = SSIM on luma at shorter side 256), so two numbers with the
same name were always computed the same way, and a result line is self-describing. Each metric
lives in its own module whose docstring cites the paper and states the protocol.

A metric is a :class:`Metric` subclass. Per-image metrics implement :meth:`Metric.score` and
inherit :meth:`Metric.evaluate` (the mean over images); set-level metrics (the later FID-like,
ArtFID-like, deception rate, temporal warping error) override :meth:`Metric.evaluate` instead and
may leave ``score`` unimplemented. How to add one::

    @register_metric("fidlike_effl0_256")
    class FidLike(Metric):
        reference = "Heusel et al., GANs trained by a two time-scale update rule..., NeurIPS 2017"
        protocol = "EfficientNet-Lite0 pooled features at shorter side 256; Fréchet distance"
        higher_is_better = False
        needs = frozenset({"style"})

        def evaluate(self, outputs, *, contents=None, style=None) -> MetricResult: ...

Images everywhere are the package convention: ``(H, W, 3)`` ``uint8`` sRGB arrays. Importing this
package never imports torch: backbone-based metrics load it on first use, so the benchmark's
peak-RSS child processes can import ``huafeng.eval`` without paying for torch.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from huafeng.eval.prep import EVAL_SIDE
from huafeng.registry import Registry

if TYPE_CHECKING:
    from huafeng.eval.gram import StyleReference

M = TypeVar("M", bound="type[Metric]")


@dataclass(frozen=True)
class MetricResult:
    """One metric over one set of images: the line written to ``metrics.jsonl``."""

    metric: str
    value: float
    """Mean over images for per-image metrics; the set-level value otherwise."""
    std: float = math.nan
    """Standard deviation over images (NaN for set-level metrics)."""
    num_images: int = 0
    seconds: float = 0.0
    per_image: tuple[float, ...] = ()
    higher_is_better: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, **context: Any) -> str:
        """One JSON line; ``context`` (style, system, ...) is merged in front."""
        row = {**context, **asdict(self)}
        row["per_image"] = list(self.per_image)
        return json.dumps(row, ensure_ascii=False, allow_nan=True)


class Metric:
    """Base class. Subclasses set the four class attributes and implement ``score`` or ``evaluate``."""

    name: ClassVar[str] = ""
    """Set by :func:`register_metric`: the registry name, protocol included."""
    reference: ClassVar[str] = ""
    """The paper the metric follows (one line)."""
    protocol: ClassVar[str] = ""
    """Resolution, colour space, layers: what must match for two values to be comparable."""
    higher_is_better: ClassVar[bool] = False
    needs: ClassVar[frozenset[str]] = frozenset()
    """Which of ``content`` (the input photo) and ``style`` (reference paintings) it compares to."""

    def __init__(self, side: int = EVAL_SIDE) -> None:
        # every metric grades at one fixed resolution, part of its protocol (see prep.EVAL_SIDE)
        self.side = side

    def score(
        self,
        output: np.ndarray,
        *,
        content: np.ndarray | None = None,
        style: StyleReference | Sequence[np.ndarray] | None = None,
    ) -> float:
        """The metric for one stylized image. Set-level metrics raise instead."""
        raise NotImplementedError(f"{self.name or type(self).__name__} is a set-level metric: use evaluate()")

    def evaluate(
        self,
        outputs: Sequence[np.ndarray],
        *,
        contents: Sequence[np.ndarray] | None = None,
        style: StyleReference | Sequence[np.ndarray] | None = None,
    ) -> MetricResult:
        """Score every image (``contents[i]`` pairs with ``outputs[i]``) and average."""
        self._check_needs(outputs, contents, style)
        t0 = time.perf_counter()
        vals = [
            self.score(o, content=None if contents is None else contents[i], style=style)
            for i, o in enumerate(outputs)
        ]
        arr = np.asarray(vals, dtype=np.float64)
        return MetricResult(
            metric=self.name,
            value=float(arr.mean()) if arr.size else math.nan,
            std=float(arr.std()) if arr.size else math.nan,
            num_images=len(vals),
            seconds=time.perf_counter() - t0,
            per_image=tuple(float(v) for v in vals),
            higher_is_better=self.higher_is_better,
        )

    def _check_needs(
        self, outputs: Sequence[np.ndarray], contents: Sequence[np.ndarray] | None, style: object
    ) -> None:
        if "content" in self.needs and (contents is None or len(contents) != len(outputs)):
            raise ValueError(
                f"{self.name} compares each output to its input photo: pass one content per output"
            )
        if "style" in self.needs and style is None:
            raise ValueError(f"{self.name} compares outputs to style reference paintings: pass style=")


METRICS: Registry[Metric] = Registry("metric")


def register_metric(name: str) -> Callable[[M], M]:
    """Class decorator: register a :class:`Metric` subclass under ``name`` (protocol in the name)."""

    def deco(cls: M) -> M:
        if not (isinstance(cls, type) and issubclass(cls, Metric)):
            raise TypeError(f"@register_metric({name!r}) needs a Metric subclass, got {cls!r}")
        if not (cls.reference and cls.protocol):
            raise TypeError(f"metric {name!r} must state its reference and protocol")
        cls.name = name
        METRICS.add(name, cls)
        return cls

    return deco


def list_metrics() -> list[str]:
    """Sorted names of every registered metric."""
    return METRICS.names()


def calc_metric(
    name: str,
    outputs: Sequence[np.ndarray],
    *,
    contents: Sequence[np.ndarray] | None = None,
    style: StyleReference | Sequence[np.ndarray] | None = None,
    **kwargs: Any,
) -> MetricResult:
    """Build the metric ``name`` (with ``kwargs``) and evaluate it: the one-call front door."""
    return METRICS.build(name, **kwargs).evaluate(outputs, contents=contents, style=style)


def append_jsonl(path: str | os.PathLike[str], row: MetricResult | dict[str, Any], **context: Any) -> None:
    """Append one result as a JSON line (stylegan3 keeps a ``metric-<name>.jsonl`` per run)."""
    line = row.to_json(**context) if isinstance(row, MetricResult) else json.dumps({**context, **row})
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
