"""huafeng (画风): GAN-based image style transfer — train on PyTorch, stylize on ONNX Runtime.

Importing the package is cheap and torch-free: subpackages are imported on use, so the
inference path (``huafeng.infer``, ``huafeng.serve``, ``huafeng.caption``) never pulls in torch.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("huafeng")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
