"""Which autocast dtype a run really gets on this machine.

Why: bf16 autocast halves a step on CPUs with native bf16 (AVX-512-BF16 or AMX: measured on a
2-core Xeon with AMX, magenta_cin fwd+bwd 0.36 → 0.18 s at batch 4, 256²), but on CPUs without it
oneDNN falls back to a slow path: on a 2-core AMD EPYC with AVX2 only, one 3×3 conv fwd+bwd went
from 0.14 s in fp32 to 4.9 s under bf16 autocast (35× slower), and a library run fell from
5 img/s to 0.12. A recipe says what it wants (``amp: bf16``); this module decides what the
hardware can do, so the same recipe is fast on both machines.
"""

from __future__ import annotations

import torch


def cpu_has_fast_bf16() -> bool:
    """True when this CPU runs bf16 natively (AVX-512-BF16 or AMX tiles)."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):  # private helpers: absent in other torch versions
        return False


def autocast_dtype(amp: str, device_type: str) -> torch.dtype | None:
    """The dtype to autocast to for ``amp`` ("off", "bf16", "fp16") on ``device_type``, or None.

    fp16 only on CUDA (no CPU kernels worth having); bf16 on GPUs and on CPUs with native bf16.
    """
    if amp == "fp16":
        return torch.float16 if device_type == "cuda" else None
    if amp == "bf16":
        if device_type == "cpu" and not cpu_has_fast_bf16():
            return None
        return torch.bfloat16
    return None
