"""Parameters, MACs and ONNX Runtime CPU latency of the generators (random weights).

Same protocol as ``shared/notes/cpu-generator-latency.md``: ONNX Runtime, 2 intra-op threads,
``ORT_ENABLE_ALL``, sequential execution, median of several runs after warm-up. MACs are counted
with forward hooks on every Conv2d/Linear (the rest — activations, norms, resizes, the guided
filter's elementwise ops — is memory traffic, not MACs) at 256² and scaled by pixel count, which is
exact for fully convolutional nets.

    .venv/bin/python benchmarks/latency_generators.py            # all variants, 512² and 1024²
    .venv/bin/python benchmarks/latency_generators.py --only c2 d2 --runs 7

Not a test: timings depend on the machine and on whatever else runs on it (the load average is
printed with the table).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huafeng.imageio import read_image
from huafeng.models import MOBILE_PRESETS, build_generator, is_multistyle
from huafeng.train.export import export_onnx

SAMPLES = Path(__file__).resolve().parents[1] / "huafeng" / "assets" / "samples"
META = {
    "huafeng.name": "bench",
    "huafeng.tradition": "none",
    "huafeng.description": "latency benchmark, random weights",
    "huafeng.license": "Apache-2.0",
    "huafeng.card": "{}",
}
# name → (generator, kwargs, quantize)
VARIANTS: dict[str, tuple[str, dict[str, Any], str | None]] = {
    "resnet": ("resnet", {}, None),
    "resnet-w16-none": ("resnet", {"base_channels": 16, "norm": "none"}, None),
    "multistyle": ("multistyle", {}, None),
    **{f"mobile-{k}": ("mobile", v, None) for k, v in MOBILE_PRESETS.items()},
    "mobile-c2-int8": ("mobile", MOBILE_PRESETS["c2"], "int8"),
    "mobile-d2-int8": ("mobile", MOBILE_PRESETS["d2"], "int8"),
}


def count_macs(model: nn.Module, size: int = 256) -> int:
    """Multiply-accumulates of one forward pass at ``size``² (Conv2d and Linear layers)."""
    total = 0

    def hook(m: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            total += out.numel() * k
        elif isinstance(m, nn.Linear):
            total += out.numel() * m.in_features

    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in layers]
    args: list[torch.Tensor] = [torch.rand(1, 3, size, size)]
    if is_multistyle(model):
        args.append(torch.eye(int(getattr(model, "num_styles", 1)))[:1])
    with torch.no_grad():
        model(*args)
    for h in handles:
        h.remove()
    return total


def session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def feeds_for(size: int, style_dim: int | None) -> dict[str, np.ndarray]:
    feeds = {"input": np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)}
    if style_dim:
        feeds["style"] = np.eye(style_dim, dtype=np.float32)[:1]
    return feeds


def time_interleaved(sessions: dict[str, tuple[Any, int | None]], size: int, runs: int) -> dict[str, float]:
    """Median seconds per variant; variants take turns within each round, so a burst of load from
    other processes hits all of them alike instead of whichever happened to be running."""
    for sess, sd in sessions.values():  # warm-up: allocations, NCHWc weight reorders
        for _ in range(2):
            sess.run(["output"], feeds_for(size, sd))
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for _ in range(runs):
        for name, (sess, sd) in sessions.items():
            feeds = feeds_for(size, sd)
            t = time.perf_counter()
            sess.run(["output"], feeds)
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="variant names (default: all)")
    ap.add_argument("--sizes", nargs="*", type=int, default=[512, 1024])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    calib = [read_image(p).rgb for p in sorted(SAMPLES.glob("*.jpg"))]
    rows: list[dict[str, Any]] = []
    sessions: dict[str, tuple[Any, int | None]] = {}
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        for name, (gen, kw, quant) in VARIANTS.items():
            if args.only and not any(name == o or name == f"mobile-{o}" for o in args.only):
                continue
            torch.manual_seed(0)
            model = build_generator(gen, **kw).eval()
            path = Path(d, f"{name}.onnx")
            images = calib if quant else None
            export_onnx(model, path, metadata=META, quantize=quant, calibration_images=images)
            style_dim = int(getattr(model, "num_styles", 0)) or None
            sessions[name] = (session(path, args.threads), style_dim)
            rows.append(
                {
                    "variant": name,
                    "params": sum(p.numel() for p in model.parameters()),
                    "gmac_1024": count_macs(model) * 16 / 1e9,
                    "multiple": int(getattr(model, "multiple", 1)),
                }
            )
        for s in args.sizes:
            medians = time_interleaved(sessions, s, args.runs)
            for r in rows:
                r[f"ms_{s}"] = 1000 * medians[r["variant"]]
    load1 = os.getloadavg()[0]
    cols = " | ".join(f"ms {s}²" for s in args.sizes)
    print(f"\n| variant | params | GMAC @1024² | multiple | {cols} |")
    print("|---|---|---|---|" + "---|" * len(args.sizes))
    for r in rows:
        ms = " | ".join(f"{r[f'ms_{s}']:.0f}" for s in args.sizes)
        k = r["params"] / 1e3
        print(f"| {r['variant']} | {k:.0f}k | {r['gmac_1024']:.1f} | {r['multiple']} | {ms} |")
    print(f"\nload average (1 min) before/after: {load0:.2f} / {load1:.2f}; {args.threads} threads")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
