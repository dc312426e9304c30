"""ONNX export: every registered generator exports with torch parity at a size other than the
example size; BatchNorm is folded; metadata is complete; int8/fp16 run and report their error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import nn

from huafeng.errors import InputError
from huafeng.imageio import read_image, resize
from huafeng.models import GENERATORS, build_discriminator, build_generator, is_multistyle
from huafeng.train.export import ExportError, export_onnx, fold_batchnorm, prepare_for_export

# Tiny models (same spirit as tests/models/test_generators.py; kept here so this file stands alone).
SMALL: dict[str, dict[str, object]] = {
    "unet": dict(base_channels=8, depth=2),
    "resnet": dict(base_channels=8, n_blocks=1, norm="batch"),
    "multistyle": dict(base_channels=8, n_blocks=1, num_styles=3),
    "mobile": dict(width=8, n_blocks=2, expansion=2, up_width=8, norm="batch", half_res=True),
    "residual_mobile": dict(width=8, n_blocks=1, expansion=2),
    "magenta_cin": dict(num_styles=3, init_styles=[0, 2, 24]),
    "magenta_arbitrary": dict(code=[0.05 * ((i % 7) - 3) for i in range(100)]),
}
META = {
    "huafeng.name": "test",
    "huafeng.tradition": "european_impressionism",
    "huafeng.description": "a test model",
    "huafeng.license": "Apache-2.0",
    "huafeng.card": json.dumps({"steps": 0}),
}


def randomise_batchnorm(model: nn.Module) -> nn.Module:
    """Untrained BNs are the identity in eval mode; give them statistics so folding is really tested."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)  # type: ignore[union-attr]
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)  # type: ignore[union-attr]
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    return model


def tiny(name: str) -> nn.Module:
    torch.manual_seed(0)
    return randomise_batchnorm(build_generator(name, **SMALL[name])).eval()


def run_both(model: nn.Module, path: Path, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(1).random((1, 3, h, w), dtype=np.float32)
    feeds = {"input": x}
    args = [torch.from_numpy(x)]
    if is_multistyle(model):
        style = np.array([[0.2, 0.5, 0.3]], np.float32)
        feeds["style"] = style
        args.append(torch.from_numpy(style))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        return sess.run(["output"], feeds)[0], model(*args).numpy()


def test_every_generator_has_small_kwargs() -> None:
    assert set(SMALL) == set(GENERATORS.names())


@pytest.mark.parametrize("name", GENERATORS.names())
def test_exports_with_parity_at_another_size(name: str, tmp_path: Path) -> None:
    model = tiny(name)
    path = tmp_path / f"{name}.onnx"
    report = export_onnx(model, path, metadata=META, example_size=(32, 32))
    assert report.max_abs_diff <= 1e-3 and report.bytes == path.stat().st_size
    assert len(report.sizes_checked) == 2
    m = int(model.multiple)
    onnx_out, torch_out = run_both(model, path, 32 + 2 * m, 32 + 3 * m)
    assert onnx_out.shape == (1, 3, 32 + 2 * m, 32 + 3 * m)
    np.testing.assert_allclose(onnx_out, torch_out, atol=1e-3)

    proto = onnx.load(str(path))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["huafeng.multiple"] == str(m)
    assert {k: meta[k] for k in META} == META
    assert [i.name for i in proto.graph.input] == (["input", "style"] if is_multistyle(model) else ["input"])
    assert [o.name for o in proto.graph.output] == ["output"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == 3 and dims[2].dim_param and dims[3].dim_param  # dynamic H, W
    if is_multistyle(model):
        assert meta["huafeng.style_dim"] == "3"
    ops = {n.op_type for n in proto.graph.node}
    assert not ops & {"BatchNormalization", "Dropout", "ConvTranspose", "DepthToSpace"}
    assert proto.opset_import[0].version == 17


def test_fold_batchnorm_is_exact() -> None:
    model = tiny("resnet")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        want = model(x)
        folded = prepare_for_export(model)
        got = folded(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())  # the original is untouched
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    plain = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4, affine=False))
    randomise_batchnorm(plain).eval()
    with torch.no_grad():
        ref = plain(x)
        torch.testing.assert_close(fold_batchnorm(plain)(x), ref, atol=1e-5, rtol=1e-5)


def test_prepare_bakes_in_spectral_norm() -> None:
    d = build_discriminator("patch", base_channels=8, n_layers=2, spectral_norm=True).eval()
    baked = prepare_for_export(d)
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in baked.modules())
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(baked(x), d(x))


@pytest.fixture(scope="module")
def calibration(sample_photo: Path) -> list[np.ndarray]:
    rgb = read_image(sample_photo).rgb
    return [resize(rgb, (48, 32)), resize(rgb[:, ::-1], (40, 40)).astype(np.float32) / 255.0]


@pytest.mark.parametrize("name", ["mobile", "resnet"])
def test_int8_export_runs_and_reports_its_error(
    name: str, tmp_path: Path, calibration: list[np.ndarray]
) -> None:
    model = tiny(name)
    fp32 = export_onnx(model, tmp_path / "fp32.onnx", metadata=META, example_size=(32, 32))
    report = export_onnx(
        model, tmp_path / "int8.onnx", metadata=META, example_size=(32, 32), quantize="int8",
        calibration_images=calibration,
    )  # fmt: skip
    assert report.quantize == "int8"
    assert report.quant_max_abs_diff is not None and report.quant_mean_abs_diff is not None
    assert 0 < report.quant_mean_abs_diff <= report.quant_max_abs_diff < 0.25
    assert report.max_abs_diff == pytest.approx(fp32.max_abs_diff)
    proto = onnx.load(str(tmp_path / "int8.onnx"))
    ops = [n.op_type for n in proto.graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    conv_weights = [t for t in proto.graph.initializer if t.name.endswith("weight_quantized")]
    assert conv_weights and all(t.data_type == onnx.TensorProto.INT8 for t in conv_weights)  # S8 weights
    assert {p.key for p in proto.metadata_props} >= set(META)
    if name == "mobile":  # the guided filter's arithmetic stays in float
        assert not any("/guided/" in n.name and n.op_type == "QuantizeLinear" for n in proto.graph.node)
    sess = ort.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"])
    out = sess.run(["output"], {"input": np.random.default_rng(0).random((1, 3, 48, 64), dtype=np.float32)})[
        0
    ]
    assert out.shape == (1, 3, 48, 64) and np.isfinite(out).all()


def test_fp16_export_keeps_float32_io(tmp_path: Path) -> None:
    model = tiny("multistyle")
    report = export_onnx(model, tmp_path / "fp16.onnx", metadata=META, example_size=(32, 32), quantize="fp16")
    assert report.quant_max_abs_diff is not None and report.quant_max_abs_diff < 1e-2
    proto = onnx.load(str(tmp_path / "fp16.onnx"))
    assert all(i.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for i in proto.graph.input)
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in proto.graph.initializer)
    onnx_out, torch_out = run_both(model, tmp_path / "fp16.onnx", 40, 48)
    np.testing.assert_allclose(onnx_out, torch_out, atol=1e-2)


def test_bad_requests_are_readable_errors(tmp_path: Path) -> None:
    model = tiny("mobile")
    with pytest.raises(InputError, match=r"huafeng\.license"):
        export_onnx(
            model, tmp_path / "a.onnx", metadata={k: v for k, v in META.items() if k != "huafeng.license"}
        )
    with pytest.raises(InputError, match="JSON"):
        export_onnx(model, tmp_path / "a.onnx", metadata={**META, "huafeng.card": "{oops"})
    with pytest.raises(InputError, match="multiple"):
        export_onnx(model, tmp_path / "a.onnx", metadata=META, example_size=(36, 36))
    with pytest.raises(InputError, match="calibration_images"):
        export_onnx(model, tmp_path / "a.onnx", metadata=META, example_size=(32, 32), quantize="int8")
    with pytest.raises(InputError, match="unknown quantize"):
        export_onnx(model, tmp_path / "a.onnx", metadata=META, quantize="int4")
    assert not list(tmp_path.iterdir())


class _Noisy(nn.Module):
    """Random in forward: the ONNX graph cannot reproduce it, so the parity check must fire."""

    multiple = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x + torch.randn_like(x))


def test_parity_failure_raises_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="differs from torch"):
        export_onnx(_Noisy(), tmp_path / "n.onnx", metadata=META, example_size=(8, 8))
    assert not list(tmp_path.iterdir())


def test_write_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    export_onnx(tiny("mobile"), path, metadata=META, example_size=(32, 32))
    assert onnx.load(str(path)).graph.node
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temp file left behind
