"""The two model registries, in their own module so that model files can register themselves
without importing the package ``__init__`` (which imports them: a cycle otherwise)."""

from __future__ import annotations

from torch import nn

from huafeng.registry import Registry

#: Image-to-image networks: NCHW float32 RGB in [0, 1] → same shape in [0, 1].
GENERATORS: Registry[nn.Module] = Registry("generator")
#: Critics: NCHW in [0, 1] → logits (a tensor, or a list of tensors for ``multiscale``).
DISCRIMINATORS: Registry[nn.Module] = Registry("discriminator")
#: Image repair: ``forward(image N3HW, mask N1HW in {0, 1}) -> composite N3HW``, see
#: :mod:`huafeng.models.inpaint`.
INPAINTERS: Registry[nn.Module] = Registry("inpainter")
#: Damage segmenters: ``forward(image N3HW) -> P(damaged) N1HW``.
DAMAGE_DETECTORS: Registry[nn.Module] = Registry("damage detector")
