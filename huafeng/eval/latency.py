"""Timing helpers for latency races: warm-up, median of N, fixed threads, interleaved A/B.

Why each choice (``docs/notes/cpu-generator-latency.md`` measured the same way):

* **Warm-up** runs are discarded: the first ONNX Runtime calls allocate arenas and pick kernels,
  and the first NumPy/OpenCV calls fault in pages; none of that is steady-state latency.
* **Median**, not mean: on a shared 2-core machine one preempted run can take 3x longer; the
  median ignores it, the mean does not.
* **Interleaved** contenders: each round runs every contender once, in an order rotated every
  round (A B C, B C A, C A B, ...), so a burst of background load hits all of them alike and none
  is always first after a cache-cold gap. Speed ratios are the **median of per-round ratios**,
  which cancels load that drifts slowly across the run (robust where two separate medians are not).
* **Fixed threads**: ORT takes its count per session (pass it to the engines); OpenCV, PyTorch and
  BLAS pools are pinned here, and the ``*_NUM_THREADS`` variables are set for child processes.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "HUAFENG_THREADS")


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of the timed (post-warm-up) runs of one contender, in run order."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    @property
    def iqr(self) -> float:
        """Interquartile range: the spread to quote next to the median."""
        if len(self.samples) < 2:
            return 0.0
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q[2] - q[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "min_s": self.min,
            "mean_s": self.mean,
            "iqr_s": self.iqr,
            "n": len(self.samples),
            "samples_s": list(self.samples),
        }


def time_fn(fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1) -> Timing:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times timed."""
    return interleaved({"fn": fn}, repeats=repeats, warmup=warmup)["fn"]


def interleaved(
    contenders: Mapping[str, Callable[[], object]], *, repeats: int = 5, warmup: int = 1
) -> dict[str, Timing]:
    """Time several contenders in rotated rounds; ``repeats`` timed runs of each.

    Warm-up is interleaved too (a contender warmed long before its first timed run would have
    cooled down again).
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got {repeats}, {warmup}")
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            fn = contenders[name]
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return {n: Timing(tuple(s)) for n, s in samples.items()}


def paired_ratio(numerator: Timing, denominator: Timing) -> float:
    """Median of per-round ``numerator / denominator`` (e.g. peer / ours = how many times faster)."""
    if len(numerator.samples) != len(denominator.samples):
        raise ValueError("paired ratios need timings from the same interleaved rounds")
    return statistics.median(a / b for a, b in zip(numerator.samples, denominator.samples, strict=True))


@contextmanager
def fixed_threads(n: int) -> Iterator[None]:
    """Pin OpenCV, PyTorch (if already imported) and the env of future children to ``n`` threads."""
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    import cv2

    saved_env = {k: os.environ.get(k) for k in _THREAD_VARS}
    saved_cv2 = cv2.getNumThreads()
    torch = sys.modules.get("torch")
    saved_torch = torch.get_num_threads() if torch is not None else None
    os.environ.update({k: str(n) for k in _THREAD_VARS})
    cv2.setNumThreads(n)
    if torch is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        cv2.setNumThreads(saved_cv2)
        if torch is not None and saved_torch is not None:
            torch.set_num_threads(saved_torch)


def machine_info() -> dict[str, Any]:
    """What a reader needs to judge a timing: CPU, cores available, load, library versions."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    for mod in ("numpy", "onnxruntime", "cv2"):
        try:
            info[f"{mod}_version"] = __import__(mod).__version__
        except ImportError:
            info[f"{mod}_version"] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
