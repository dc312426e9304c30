"""Generators and discriminators, built by name from keyword arguments.

Conventions every model keeps (the training loop, the exporter and the tests rely on them):

* Generators map NCHW float32 RGB in [0, 1] to the same shape in (0, 1) (sigmoid output) and have
  ``multiple: int`` — H and W must be multiples of it. Multi-style generators have
  ``num_styles: int`` and take ``forward(x, style)`` with ``style`` (N, num_styles) weights.
* Discriminators take NCHW in [0, 1] with ``in_channels`` channels and return logits: a tensor, or
  a list of tensors (``multiscale``); see :mod:`huafeng.models.discriminators`.
* Constructors take plain keyword arguments with working defaults; models never read config files.

How to add a model (the tests pick it up from the registry: build, shapes, gradients, ONNX parity)::

    from huafeng.models.registries import GENERATORS

    @GENERATORS.register("mynet")
    class MyNet(nn.Module):
        \"\"\"Paper followed, and why this design.\"\"\"

        def __init__(self, base_channels: int = 32) -> None:
            super().__init__()
            self.multiple = 4
            ...

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(...)

then import its module below, and give it small kwargs in ``tests/models/test_generators.py``.
"""

from __future__ import annotations

from torch import nn

from huafeng.models import arbitrary, discriminators, fast, generators, pretrained, projected, residual  # noqa: F401  (registers the models)
from huafeng.models.fast import PRESETS as MOBILE_PRESETS
from huafeng.models.registries import DISCRIMINATORS, GENERATORS

__all__ = [
    "DISCRIMINATORS",
    "GENERATORS",
    "MOBILE_PRESETS",
    "build_discriminator",
    "build_generator",
    "is_multistyle",
]


def build_generator(name: str, **kw: object) -> nn.Module:
    """The front door: ``build_generator("resnet", base_channels=16, norm="batch")``.

    Unknown names raise :class:`huafeng.errors.UnknownNameError` listing the valid ones.
    """
    return GENERATORS.build(name, **kw)


def build_discriminator(name: str, **kw: object) -> nn.Module:
    return DISCRIMINATORS.build(name, **kw)


def is_multistyle(model: nn.Module) -> bool:
    """True for generators that take ``forward(x, style)``."""
    return int(getattr(model, "num_styles", 0) or 0) > 0
