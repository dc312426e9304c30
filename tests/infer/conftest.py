"""Tiny ONNX models built with ``onnx.helper`` (no torch), and an isolated style environment.

Models (all NCHW float32 [0, 1] in and out, dynamic H/W, huafeng metadata):

* ``conv``      two 3x3 convolutions with a colour-rotating centre tap: fully convolutional with a
                5x5 receptive field, so tiled and whole-image runs must agree; visibly changes
                colour, so colour preservation and masks have something to undo.
* ``multiple8`` SpaceToDepth(8) → DepthToSpace(8) → 0.5x + 0.25: ORT rejects H or W that are not
                multiples of 8, so it only works if the engine pads (``huafeng.multiple`` = 8).
* ``strict8``   the same graph without the metadata: proves the failure mode the padding avoids.
* ``multi``     a second input ``style`` (1, 2): output = s0 * x + s1 * (1 - x) ("photo", "negative").
* ``instance_norm`` conv → InstanceNorm → conv: not tileable exactly (whole-image statistics).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from huafeng.imageio import Image, read_image, resize
from huafeng.infer import session, styles

SAMPLES = Path(__file__).resolve().parents[2] / "huafeng" / "assets" / "samples"


def _image_io(name: str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 3, "H", "W"])


def save_model(
    path: Path,
    nodes: list[onnx.NodeProto],
    *,
    inputs: list[onnx.ValueInfoProto] | None = None,
    initializers: list[onnx.TensorProto] | None = None,
    meta: dict[str, str] | None = None,
) -> Path:
    graph = helper.make_graph(
        nodes,
        path.stem,
        inputs or [_image_io("input")],
        [_image_io("output")],
        initializer=initializers or [],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by any ORT this project supports
    helper.set_model_props(model, meta or {})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def meta(name: str, **extra: str) -> dict[str, str]:
    card = {"data": "synthetic", "steps": extra.pop("steps", "0")}
    base = {
        "huafeng.name": name,
        "huafeng.tradition": "test pattern",
        "huafeng.description": f"tiny {name} model for tests",
        "huafeng.license": "CC0-1.0",
        "huafeng.multiple": "1",
        "huafeng.card": json.dumps({**card, "steps": int(card["steps"])}),
    }
    base.update({f"huafeng.{k}": v for k, v in extra.items()})
    return base


def conv_model(path: Path, name: str = "tiny_conv", **extra: str) -> Path:
    rng = np.random.default_rng(0)
    w1 = (rng.normal(0, 0.04, (3, 3, 3, 3))).astype(np.float32)
    w1[:, :, 1, 1] += np.array([[0, 0, 0.9], [0.9, 0, 0], [0, 0.9, 0]], np.float32)  # R<-B, G<-R, B<-G
    w2 = (rng.normal(0, 0.04, (3, 3, 3, 3))).astype(np.float32)
    w2[:, :, 1, 1] += np.eye(3, dtype=np.float32)
    inits = [
        numpy_helper.from_array(w1, "w1"),
        numpy_helper.from_array(np.full(3, 0.05, np.float32), "b1"),
        numpy_helper.from_array(w2, "w2"),
        numpy_helper.from_array(np.zeros(3, np.float32), "b2"),
        numpy_helper.from_array(np.array(0.0, np.float32), "lo"),
        numpy_helper.from_array(np.array(1.0, np.float32), "hi"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["output"]),
    ]
    return save_model(path, nodes, initializers=inits, meta=meta(name, **extra))


def block_model(path: Path, name: str, *, with_meta: bool) -> Path:
    inits = [
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array(0.25, np.float32), "quarter"),
    ]
    nodes = [
        helper.make_node("SpaceToDepth", ["input"], ["s2d"], blocksize=8),
        helper.make_node("DepthToSpace", ["s2d"], ["d2s"], blocksize=8),
        helper.make_node("Mul", ["d2s", "half"], ["m"]),
        helper.make_node("Add", ["m", "quarter"], ["output"]),
    ]
    md = meta(name, multiple="8") if with_meta else {"huafeng.name": name}
    return save_model(path, nodes, initializers=inits, meta=md)


def multi_model(path: Path, name: str = "tiny_multi") -> Path:
    inputs = [_image_io("input"), helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, 2])]
    inits = [
        numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "shape4"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array([1, 1], np.int64), "halves"),
    ]
    nodes = [
        helper.make_node("Split", ["style", "halves"], ["s0", "s1"], axis=1),
        helper.make_node("Reshape", ["s0", "shape4"], ["a"]),
        helper.make_node("Reshape", ["s1", "shape4"], ["b"]),
        helper.make_node("Sub", ["one", "input"], ["neg"]),
        helper.make_node("Mul", ["input", "a"], ["ax"]),
        helper.make_node("Mul", ["neg", "b"], ["bn"]),
        helper.make_node("Add", ["ax", "bn"], ["output"]),
    ]
    md = meta(name, style_dim="2", style_names="photo,negative")
    return save_model(path, nodes, inputs=inputs, initializers=inits, meta=md)


def instance_norm_model(path: Path, name: str = "tiny_in", **extra: str) -> Path:
    """Conv → InstanceNorm → ReLU → Conv → Sigmoid: a GAN-generator shape whose output depends on
    whole-image statistics, so plain tiles disagree in tone."""
    rng = np.random.default_rng(1)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(8, np.float32), "b1"),
        numpy_helper.from_array(np.ones(8, np.float32), "gamma"),
        numpy_helper.from_array(np.zeros(8, np.float32), "beta"),
        numpy_helper.from_array(rng.normal(0, 0.5, (3, 8, 3, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(np.zeros(3, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("InstanceNormalization", ["c1", "gamma", "beta"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c2"], ["output"]),
    ]
    return save_model(path, nodes, initializers=inits, meta=meta(name, **extra))


def two_input_model(path: Path) -> Path:
    """Violates the contract: two image inputs."""
    nodes = [helper.make_node("Add", ["input", "other"], ["output"])]
    return save_model(path, nodes, inputs=[_image_io("input"), _image_io("other")], meta=meta("two_inputs"))


class Models:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.conv = conv_model(root / "conv.onnx")
        self.multiple8 = block_model(root / "multiple8.onnx", "tiny_blocks", with_meta=True)
        self.strict8 = block_model(root / "strict8.onnx", "tiny_strict", with_meta=False)
        self.multi = multi_model(root / "multi.onnx")
        self.two_inputs = two_input_model(root / "two_inputs.onnx")
        self.instance_norm = instance_norm_model(root / "instance_norm.onnx")


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    return Models(tmp_path_factory.mktemp("models"))


@pytest.fixture(autouse=True)
def isolated_styles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Empty user and built-in style folders, one ORT thread, no plugins: tests see only what they add."""
    user = tmp_path / "user_styles"
    builtin = tmp_path / "builtin_styles"
    user.mkdir()
    builtin.mkdir()
    monkeypatch.setenv("HUAFENG_STYLES_DIR", str(user))
    monkeypatch.setenv("HUAFENG_THREADS", "1")  # 2 shared cores: don't oversubscribe
    monkeypatch.setattr(styles, "builtin_styles_dir", lambda: builtin)
    monkeypatch.setattr(styles.importlib.metadata, "entry_points", lambda **kw: [])
    styles.refresh_plugin_styles()  # discovered once per process: forget the real plugins
    session.clear_session_cache()
    yield {"user": user, "builtin": builtin}
    session.clear_session_cache()
    styles.refresh_plugin_styles()


@pytest.fixture(scope="session")
def photo_rgb() -> np.ndarray:
    """A real photo (the Chelsea sample) at 97x65: odd sizes catch off-by-one padding bugs."""
    return resize(read_image(SAMPLES / "chelsea.jpg").rgb, (97, 65))


@pytest.fixture
def photo(photo_rgb: np.ndarray) -> Image:
    return Image(rgb=photo_rgb.copy())
