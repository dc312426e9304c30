"""The two model registries, in their own module so that model files can register themselves
without importing the package ``__init__`` (which imports them: a cycle otherwise)."""

from __future__ import annotations

from torch import nn

from huafeng.registry import Registry

#: Image-to-image networks: NCHW float32 RGB in [0, 1] → same shape in [0, 1].
GENERATORS: Registry[nn.Module] = Registry("generator")
#: Critics: NCHW in [0, 1] → logits (a tensor, or a list of tensors for ``multiscale``).
DISCRIMINATORS: Registry[nn.Module] = Registry("discriminator")
