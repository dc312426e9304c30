"""The pretrained painterly base: loads the package's weights exactly, trains only its norm tables,
slices into shipped styles, and exports to ONNX that matches torch."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from huafeng.errors import InputError
from huafeng.models.pretrained import BASE_STYLES, PretrainedCIN, base_model_path, select_styles
from huafeng.train.export import export_onnx


@pytest.fixture(scope="module")
def base_session() -> ort.InferenceSession:
    return ort.InferenceSession(str(base_model_path()), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("style", [0, 2, 24])
def test_matches_the_package_model(base_session: ort.InferenceSession, style: int) -> None:
    """Same numbers as the ONNX graph it was read from (the peer's own runtime)."""
    x = np.random.default_rng(style).random((1, 3, 64, 96), dtype=np.float32)
    w = np.zeros(BASE_STYLES, np.float32)
    w[style] = 1
    ref = base_session.run(None, {"image": x, "style_weights": w})[0]
    with torch.no_grad():
        out = PretrainedCIN(init_styles=[style]).eval()(torch.from_numpy(x)).numpy()
    assert np.abs(out - ref).max() < 1e-4


def test_only_norm_tables_train_by_default() -> None:
    g = PretrainedCIN(num_styles=2, init_styles=[0, 1])
    trainable = {n for n, p in g.named_parameters() if p.requires_grad}
    assert trainable and all(n.endswith(("gamma", "beta")) for n in trainable)
    assert sum(p.numel() for p in g.parameters() if p.requires_grad) == 2 * 990


def test_batch_rows_are_independent() -> None:
    """Per-image instance norm: a batch of two styles equals each image run alone."""
    g = PretrainedCIN(num_styles=2, init_styles=[2, 24]).eval()
    x = torch.rand(2, 3, 32, 32)
    s = torch.eye(2)
    with torch.no_grad():
        both = g(x, s)
        one = torch.cat([g(x[i : i + 1], s[i : i + 1]) for i in range(2)])
    assert torch.allclose(both, one, atol=1e-5)


def test_select_styles_slices_rows() -> None:
    g = PretrainedCIN(num_styles=3, init_styles=[0, 2, 24]).eval()
    x = torch.rand(1, 3, 32, 32)
    single = select_styles(g, [2])
    pair = select_styles(g, [2, 0])
    with torch.no_grad():
        assert torch.allclose(single(x), g(x, torch.tensor([[0.0, 0, 1]])), atol=1e-6)
        assert torch.allclose(pair(x, torch.tensor([[0.0, 1]])), g(x, torch.tensor([[1.0, 0, 0]])), atol=1e-6)
    assert single.num_styles == 0 and pair.num_styles == 2 and single.init_styles == [24]
    with pytest.raises(InputError, match="rows"):
        select_styles(g, [3])


def test_bad_init_styles_are_one_line_errors() -> None:
    with pytest.raises(InputError, match="init_styles"):
        PretrainedCIN(num_styles=2, init_styles=[0])
    with pytest.raises(InputError, match="init_styles"):
        PretrainedCIN(init_styles=[26])
    with pytest.raises(InputError, match="needs style weights"):
        PretrainedCIN(num_styles=2, pretrained=False)(torch.rand(1, 3, 32, 32))


@pytest.mark.parametrize("rows", [[1], [0, 1]])
def test_exports_with_parity(tmp_path, rows: list[int]) -> None:  # type: ignore[no-untyped-def]
    g = select_styles(PretrainedCIN(num_styles=2, init_styles=[2, 24]), rows)
    meta = {k: "x" for k in ("huafeng.name", "huafeng.tradition", "huafeng.description", "huafeng.license")}
    rep = export_onnx(g, tmp_path / "m.onnx", metadata={**meta, "huafeng.card": "{}"}, example_size=(64, 64))
    assert rep.max_abs_diff < 1e-3
    sess = ort.InferenceSession(str(rep.path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == (["input"] if len(rows) == 1 else ["input", "style"])
    assert sess.get_modelmeta().custom_metadata_map["huafeng.render_scale"] == "0.3"
    assert rep.bytes < 1_000_000  # a shipped style stays small


def test_init_onnx_resumes_a_shipped_style(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A library row can start from a style the repository ships: the rebuilt network reproduces it."""
    from huafeng.models.pretrained import load_style_tables

    shipped = "huafeng/assets/styles/water_lilies.onnx"  # tables over the base's convolutions
    g = PretrainedCIN(num_styles=2, init_styles=[2, 11], init_onnx=[shipped, ""]).eval()
    x = torch.rand(1, 3, 64, 64)
    sess = ort.InferenceSession(shipped, providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        got = g(x, torch.eye(2)[[0]]).numpy()
        other = g(x, torch.eye(2)[[1]]).numpy()
    assert np.abs(got - want).max() < 1e-4
    assert np.abs(other - want).max() > 1e-2  # "" keeps the base style of init_styles
    assert len(load_style_tables(shipped)) == 18


def test_a_conv_refined_style_needs_its_own_convolutions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A style refined with train_convs (as session 7 did): its tables only reproduce it over its own
    convolutions, so init_onnx alone is refused and init_convs restores it exactly. The file is made
    here: since session 16 no shipped style holds refined convolutions."""
    g = PretrainedCIN(num_styles=1, init_styles=[2], train_convs=True)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("conv.weight"):
                p.mul_(1.05)
    meta = {k: "x" for k in ("huafeng.name", "huafeng.tradition", "huafeng.description", "huafeng.license")}
    refined = export_onnx(
        select_styles(g, [0]).eval(),
        tmp_path / "r.onnx",
        metadata={**meta, "huafeng.card": "{}"},
        example_size=(64, 64),
    )
    with pytest.raises(InputError, match="init_convs"):
        PretrainedCIN(num_styles=1, init_styles=[2], init_onnx=[str(refined.path)])
    back = PretrainedCIN(
        num_styles=1, init_styles=[2], init_onnx=[str(refined.path)], init_convs=str(refined.path)
    )
    x = torch.rand(1, 3, 64, 64)
    sess = ort.InferenceSession(str(refined.path), providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        assert np.abs(back.eval()(x, torch.eye(1)).numpy() - want).max() < 1e-4


def test_init_onnx_bad_input_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from huafeng.models.pretrained import load_style_tables

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(InputError):
        load_style_tables(junk)
    with pytest.raises(InputError):
        load_style_tables(tmp_path / "missing.onnx")
    with pytest.raises(InputError, match="init_onnx"):
        PretrainedCIN(num_styles=2, init_onnx=["x.onnx"])
    with pytest.raises(InputError):  # a mixable model is not one style's tables
        load_style_tables("huafeng/assets/styles/four_traditions.onnx")
