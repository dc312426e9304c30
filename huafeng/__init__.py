"""huafeng (画风): GAN-based image style transfer — train on PyTorch, stylize on ONNX Runtime.

Importing the package is cheap and torch-free: subpackages are imported on use, so the
inference path (``huafeng.infer``, ``huafeng.serve``, ``huafeng.caption``) never pulls in torch.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__`` on first use: ``importlib.metadata`` costs ~50 ms of every command's start-up
    (PEP 562), and most commands never ask for the version."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("huafeng")
        except PackageNotFoundError:  # running from a source tree that was never installed
            v = "0.0.0+unknown"
        globals()["__version__"] = v
        return v
    if name == "learn_style":
        # The Python API of `huafeng learn-style` (needs the train extra). Imported by name only when
        # asked for, so the package root does not depend on huafeng.train: infer/serve/caption import
        # the root and stay torch-free (the import-linter contracts see no edge through here).
        import importlib

        return importlib.import_module("huafeng.train.learn_style").learn
    raise AttributeError(f"module 'huafeng' has no attribute {name!r}")


__all__ = ["__version__", "learn_style"]
