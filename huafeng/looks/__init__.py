"""Looks: a photographer's or influencer's colour grade, learnt from a few photos and reusable.

A look is a 3D LUT (exportable as ``.cube``), a tone-curve estimate, grain and vignette, and
optionally a small refinement network (ONNX). Torch-free: learning the LUT is numpy; only the
optional refinement is trained with :mod:`huafeng.train` (``huafeng.train.look_refine``).
"""

from huafeng.looks.fit import FitCfg, LookFit, fit_look
from huafeng.looks.learn import import_cube, learn_and_save, learn_look
from huafeng.looks.look import ApplyOptions, Look, apply_look, apply_look_array
from huafeng.looks.lut import Lut3D, apply_lut, identity_lut, parse_cube, read_cube, write_cube
from huafeng.looks.store import LookStore, check_name, resolve_look

__all__ = [
    "ApplyOptions",
    "FitCfg",
    "Look",
    "LookFit",
    "LookStore",
    "Lut3D",
    "apply_look",
    "apply_look_array",
    "apply_lut",
    "check_name",
    "fit_look",
    "identity_lut",
    "import_cube",
    "learn_and_save",
    "learn_look",
    "parse_cube",
    "read_cube",
    "resolve_look",
    "write_cube",
]
