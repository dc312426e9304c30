"""Repair networks: shapes, exact composite, the push-pull start, torch/ONNX parity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from huafeng.models.inpaint import GatedUNet, SegUNet, push_pull_fill
from huafeng.models.registries import DAMAGE_DETECTORS, INPAINTERS


def _batch(h: int = 32, w: int = 48) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, h, w, generator=g)
    m = (torch.rand(2, 1, h, w, generator=g) < 0.2).float()
    return x, m


def test_registered() -> None:
    assert "gated_unet" in INPAINTERS and "seg_unet" in DAMAGE_DETECTORS


def test_generator_shapes_and_exact_composite() -> None:
    torch.manual_seed(0)
    g = GatedUNet(base_channels=8)
    torch.nn.init.normal_(g.head.weight, std=0.1)  # not the zero init: a real fill
    x, m = _batch()
    y = g(x, m)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert torch.equal(y * (1 - m), x * (1 - m))  # outside the mask: bit-exact input
    assert (y - x).abs().mul(m).sum() > 0  # inside: filled
    assert g.raw(x, m).min() >= 0 and g.raw(x, m).max() <= 1


def test_zero_init_head_starts_from_push_pull_and_gets_gradients() -> None:
    g = GatedUNet(base_channels=8)
    x, m = _batch()
    y = g(x, m)
    assert torch.allclose(y, push_pull_fill(x, m, g.fill_levels, g.smooth_iters))
    y.mean().backward()
    assert g.head.weight.grad is not None and g.head.weight.grad.abs().sum() > 0


def test_push_pull_fill() -> None:
    x, m = _batch(40, 24)
    assert torch.equal(push_pull_fill(x, torch.zeros_like(m), 5), x)  # no hole: identity
    const = torch.full_like(x, 0.3)
    assert torch.allclose(push_pull_fill(const * (1 - m), m, 5) * m, 0.3 * m, atol=1e-6)
    big = torch.zeros_like(m)
    big[..., 5:35, 2:22] = 1  # a hole much wider than one pyramid level
    f = push_pull_fill(x, big, 5)
    assert torch.isfinite(f).all() and f.min() >= 0 and f.max() <= 1


def test_detector_shapes() -> None:
    d = SegUNet(base_channels=4).eval()
    x, _ = _batch()
    p = d(x)
    assert p.shape == (2, 1, 32, 48) and p.min() >= 0 and p.max() <= 1


@pytest.mark.parametrize("kind", ["inpainter", "detector"])
def test_onnx_parity_and_card(tmp_path: Path, kind: str) -> None:
    import onnxruntime as ort

    from huafeng.train.inpaint_export import export_repair_model

    torch.manual_seed(1)
    model = GatedUNet(base_channels=4) if kind == "inpainter" else SegUNet(base_channels=4)
    if kind == "inpainter":
        torch.nn.init.normal_(model.head.weight, std=0.1)
    path = tmp_path / "m.onnx"
    diff = export_repair_model(model, path, kind=kind, card={"name": "t", "trained_steps": 0})
    assert diff < 1e-4
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["huafeng.kind"] == kind and json.loads(meta["huafeng.card"])["trained_steps"] == 0
    # A size the exporter did not trace at: dynamic H/W really are dynamic.
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x, m = _batch(24, 40)
    feeds = {"image": x[:1].numpy()}
    if kind == "inpainter":
        feeds["mask"] = m[:1].numpy()
    with torch.no_grad():
        ref = (model.eval()(x[:1], m[:1]) if kind == "inpainter" else model.eval()(x[:1])).numpy()
    np.testing.assert_allclose(sess.run(None, feeds)[0], ref, atol=1e-4)
