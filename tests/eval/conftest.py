"""Fixtures for the evaluation tests: real photos and paintings, and a tiny ONNX style.

The tiny style is a random-weight 3x3 conv (built with ``onnx.helper``, no torch): enough to run
the benchmark end to end, never a result to publish (its card says ``steps: 0``, so the benchmark
labels its numbers a pipeline check).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from huafeng.imageio import read_image, resize

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "huafeng" / "assets" / "samples"


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Two shared cores: with other jobs running, 2 torch threads made a backbone pass 40x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def chelsea() -> np.ndarray:
    return read_image(SAMPLES / "chelsea.jpg").rgb


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return read_image(SAMPLES / "coffee.jpg").rgb


@pytest.fixture(scope="session")
def paintings(shared_data: Path) -> dict[str, np.ndarray]:
    """Two very different paintings: a Great Wave print and a Chinese shanshui landscape."""
    styles = shared_data / "styles"
    wave = sorted((styles / "japanese_ukiyoe_and_edo").glob("*wave*"))
    shanshui = sorted((styles / "chinese_shanshui_landscape").iterdir())
    if not wave or not shanshui:
        pytest.skip("expected paintings not found in the shared data")
    return {"wave": read_image(wave[0]).rgb, "shanshui": read_image(shanshui[0]).rgb}


def tiny_style(folder: Path, refs: list[np.ndarray]) -> Path:
    """A random 3x3-conv ONNX style whose model card points at ``refs`` (saved beside it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    ref_dir = folder / "refs"
    ref_dir.mkdir(parents=True, exist_ok=True)
    for i, r in enumerate(refs):
        from PIL import Image

        Image.fromarray(resize(r, (96, 96))).save(ref_dir / f"ref{i}.png")
    w = np.random.default_rng(0).normal(0, 0.1, (3, 3, 3, 3)).astype(np.float32)
    w[:, :, 1, 1] += np.eye(3, dtype=np.float32)
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3, "H", "W"]) for n in ("input", "output")]
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w"], ["c"], pads=[1, 1, 1, 1]),
            helper.make_node("Sigmoid", ["c"], ["output"]),
        ],
        "tiny",
        io[:1],
        io[1:],
        initializer=[numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    card = {"data": "random weights, test only", "steps": 0, "style_images": ["refs"]}
    meta = {
        "huafeng.name": "tiny_eval",
        "huafeng.tradition": "test pattern",
        "huafeng.description": "random 3x3 conv for benchmark smoke tests",
        "huafeng.license": "CC0-1.0",
        "huafeng.card": json.dumps(card),
    }
    helper.set_model_props(model, meta)
    path = folder / "tiny_eval.onnx"
    onnx.save(model, str(path))
    return path
