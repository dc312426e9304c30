"""Portraits: face detection, face-aware stylization masks, try-on and expression transfer.

Torch-free like :mod:`huafeng.infer` (an import-linter contract holds it to that). Face meshes
and person segmentation come from mediapipe 0.10.14 (the ``faces`` extra); without it, face
boxes come from OpenCV's Haar cascade and anything that needs landmarks or segmentation fails
with one line naming the extra. See docs/portraits.md.
"""

from __future__ import annotations

from huafeng.portrait.faces import Detection, DetectOptions, Face, detect_faces
from huafeng.portrait.regions import (
    REGIONS,
    face_mask,
    portrait_mask,
    region_mask,
    stylize_portrait,
    with_portrait_mask,
)

__all__ = [
    "REGIONS",
    "DetectOptions",
    "Detection",
    "Face",
    "detect_faces",
    "face_mask",
    "portrait_mask",
    "region_mask",
    "stylize_portrait",
    "with_portrait_mask",
]
