"""Autocast is only used where the hardware runs it natively."""

from __future__ import annotations

import pytest
import torch

from huafeng.train import precision


def test_bf16_on_cpu_follows_the_hardware(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: False)
    assert precision.autocast_dtype("bf16", "cpu") is None
    monkeypatch.setattr(precision, "cpu_has_fast_bf16", lambda: True)
    assert precision.autocast_dtype("bf16", "cpu") is torch.bfloat16
    assert precision.autocast_dtype("bf16", "cuda") is torch.bfloat16


def test_fp16_only_on_cuda_and_off_is_off() -> None:
    assert precision.autocast_dtype("fp16", "cpu") is None
    assert precision.autocast_dtype("fp16", "cuda") is torch.float16
    assert precision.autocast_dtype("off", "cuda") is None


def test_detection_answers_a_bool() -> None:
    assert isinstance(precision.cpu_has_fast_bf16(), bool)
