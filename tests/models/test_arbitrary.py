"""The arbitrary-style base: reads the package's int8 graph into float torch, starts from the
painting's code (what the peer renders), trains only γ/β, and exports a torch-free ONNX."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from huafeng.errors import InputError
from huafeng.models.arbitrary import (
    CODE_SIZE,
    TRANSFORM,
    PretrainedArbitrary,
    dequantized_tensors,
    package_file,
    predict_code,
)
from huafeng.train.export import export_onnx


def _picture(seed: int, h: int = 96, w: int = 128) -> np.ndarray:
    """Smooth colour fields with edges: closer to a photo than white noise (which saturates int8)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([np.sin(6 * xx + c) * np.cos(4 * yy - c) for c in rng.random(3) * 6], -1)
    img = 0.5 + 0.35 * base + 0.1 * (rng.random((h, w, 3)) > 0.5) * (xx > 0.5)[..., None]
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def code() -> np.ndarray:
    return predict_code([_picture(1, 300, 200)])


def test_code_is_the_mean_over_images(code: np.ndarray) -> None:
    other = predict_code([_picture(2, 200, 300)])
    both = predict_code([_picture(1, 300, 200), _picture(2, 200, 300)])
    assert code.shape == (CODE_SIZE,) and np.isfinite(code).all()
    assert np.allclose(both, (code + other) / 2, atol=1e-5)
    assert np.abs(code - other).max() > 1e-3  # different pictures, different styles


def test_matches_the_package_graph(code: np.ndarray) -> None:
    """Same picture as the peer's int8 graph, up to its activation quantisation (ours runs in float)."""
    sess = ort.InferenceSession(str(package_file(TRANSFORM)), providers=["CPUExecutionProvider"])
    photo = np.zeros((384, 384, 3), np.float32)
    photo[:, :] = _picture(3, 384, 384).astype(np.float32) / 255
    names = [i.name for i in sess.get_inputs()]
    ref = sess.run(None, {names[0]: photo[None], names[1]: code.reshape(1, 1, 1, CODE_SIZE)})[0][0]
    with torch.no_grad():
        out = PretrainedArbitrary(code=code.tolist()).eval()(torch.from_numpy(photo).permute(2, 0, 1)[None])
    ours = out[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - ref).mean() < 0.03  # measured 0.018 on a photo
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.97
    # and a wrong wiring would not be close: the same network with no code is far off
    with torch.no_grad():
        blank = PretrainedArbitrary().eval()(torch.from_numpy(photo).permute(2, 0, 1)[None])
    assert np.abs(blank[0].permute(1, 2, 0).numpy() - ref).mean() > 0.05


def test_dequantised_weights_are_float() -> None:
    t = dequantized_tensors(package_file(TRANSFORM))
    w = t["transformer/contract/conv1/weights"]
    assert w.dtype == np.float32 and w.shape == (8, 3, 9, 9) and np.abs(w).max() > 0.1


def test_only_norm_parameters_train(code: np.ndarray) -> None:
    g = PretrainedArbitrary(code=code.tolist())
    trainable = {n for n, p in g.named_parameters() if p.requires_grad}
    assert trainable and all(n.endswith(("gamma", "beta")) for n in trainable)
    assert sum(p.numel() for p in g.parameters() if p.requires_grad) == 2 * (10 * 32 + 16 + 8 + 3)
    g(torch.rand(2, 3, 64, 64)).mean().backward()
    assert all(p.grad is None for n, p in g.named_parameters() if not p.requires_grad)


def test_bad_code_and_style_weights_are_refused() -> None:
    with pytest.raises(InputError, match="100"):
        PretrainedArbitrary(code=[0.0] * 7, pretrained=False)
    with pytest.raises(InputError, match="one style"):
        PretrainedArbitrary(pretrained=False)(torch.rand(1, 3, 32, 32), torch.ones(1, 1))


def test_exports_to_onnx_that_matches(code: np.ndarray, tmp_path) -> None:  # type: ignore[no-untyped-def]
    g = PretrainedArbitrary(code=code.tolist()).eval()
    meta = {k: "x" for k in ("huafeng.name", "huafeng.tradition", "huafeng.description", "huafeng.license")}
    rep = export_onnx(g, tmp_path / "a.onnx", metadata={**meta, "huafeng.card": "{}"}, example_size=(64, 64))
    assert rep.max_abs_diff < 1e-3
    sess = ort.InferenceSession(str(rep.path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input"]  # one style, γ/β baked in
    props = dict(sess.get_modelmeta().custom_metadata_map)
    assert props["huafeng.render_scale"] == "0.3"


def test_a_learnt_detail_gain_travels_to_the_engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``learn_detail`` adds one trainable number; export writes it as ``huafeng.render_detail`` and
    the engine's lift scales the photo's detail by it (half the gain: halfway between none and all)."""
    from huafeng.infer import StylizeOptions, Stylizer, load_style_file

    meta = {k: "x" for k in ("huafeng.name", "huafeng.tradition", "huafeng.description", "huafeng.license")}
    outs = {}
    photo = _picture(4, 384, 384)
    for logit, gain in ((0.0, "1"), (float(np.log(1 / 3)), "0.5"), (-30.0, "0")):
        torch.manual_seed(0)  # the same random convolutions each time: only the gain differs
        g = PretrainedArbitrary(code=[0.0] * CODE_SIZE, learn_detail=True, pretrained=False).eval()
        assert g.detail_logit.requires_grad
        with torch.no_grad():
            g.detail_logit.fill_(logit)
        rep = export_onnx(
            g, tmp_path / f"{gain}.onnx", metadata={**meta, "huafeng.card": "{}"}, example_size=(64, 64)
        )
        props = dict(ort.InferenceSession(str(rep.path)).get_modelmeta().custom_metadata_map)
        assert float(props["huafeng.render_detail"]) == pytest.approx(float(gain), abs=1e-6)
        outs[gain] = Stylizer(load_style_file(rep.path)).stylize_array(photo, StylizeOptions()).astype(float)
    assert np.abs(outs["1"] - outs["0"]).mean() > 2  # the detail is there at 1 and gone at ~0
    assert np.abs(outs["0.5"] - (outs["1"] + outs["0"]) / 2).mean() < 0.6


def test_the_shipped_instant_model_is_this_network_with_the_code_as_input(code: np.ndarray) -> None:
    """``assets/instant/arbitrary_code.onnx`` (scripts/build_instant_model.py) paints a code as
    :class:`PretrainedArbitrary` built with that code does: the committed file matches these weights."""
    from huafeng.infer.style_code import code_model_path
    from huafeng.models.arbitrary import CodeConditioned

    x = _picture(5, 64, 96).astype(np.float32).transpose(2, 0, 1)[None] / 255
    sess = ort.InferenceSession(str(code_model_path()), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x, "style": code[None]})[0]
    with torch.no_grad():
        ref = PretrainedArbitrary(code=code.tolist()).eval()(torch.from_numpy(x)).numpy()
        via = CodeConditioned().eval()(torch.from_numpy(x), torch.from_numpy(code)[None]).numpy()
    assert np.abs(via - ref).max() < 1e-4
    assert np.abs(got - ref).max() < 1e-3
