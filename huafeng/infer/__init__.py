"""Torch-free inference: ONNX Runtime style models and classic filter looks.

Front doors::

    from huafeng.infer import StylizeOptions, list_styles, stylize_file
    stylize_file("in.jpg", "out.jpg", "default", StylizeOptions(strength=0.8, preserve_color=True))

Modules: ``styles`` (discovery and names), ``session`` (ORT loading, checks, sharing), ``engine``
(the pipeline), ``tiling`` (padding and seamless tiles), ``color`` (colour preservation, masks),
``filters`` (classic looks). ``onnxruntime`` is imported on first model use, never at import.
"""

from huafeng.infer.engine import StylizeOptions, Stylizer, stylize_file, stylize_image
from huafeng.infer.filters import FILTERS, FilterInfo, apply_filters, list_filters
from huafeng.infer.session import ModelInfo, clear_session_cache, get_session, inspect_model
from huafeng.infer.styles import StyleInfo, default_style, list_styles, load_style_file, resolve_style

__all__ = [
    "FILTERS",
    "FilterInfo",
    "ModelInfo",
    "StyleInfo",
    "StylizeOptions",
    "Stylizer",
    "apply_filters",
    "clear_session_cache",
    "default_style",
    "get_session",
    "inspect_model",
    "list_filters",
    "list_styles",
    "load_style_file",
    "resolve_style",
    "stylize_file",
    "stylize_image",
]
