"""Image transforms for training, without torchvision.

Every random transform takes an explicit :class:`numpy.random.Generator`. The datasets derive that
generator from ``(seed, stream, global sample number)``, so a crop depends only on *which* sample
of the run it is — not on worker processes, iterator state or how often the run was resumed.
Images are uint8 HWC until :func:`to_tensor`, which gives CHW float32 in [0, 1] (the DataLoader
stacks them into the NCHW batches every model takes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from huafeng import imageio


def crop_border(rgb: np.ndarray, frac: float) -> np.ndarray:
    """Cut ``frac`` of the width/height from every side (frames and mounts on painting scans)."""
    if frac <= 0:
        return rgb
    h, w = rgb.shape[:2]
    dy, dx = round(h * frac), round(w * frac)
    return rgb[dy : h - dy or None, dx : w - dx or None]


def resize_short(rgb: np.ndarray, size: int) -> np.ndarray:
    """Resize so the shorter side is ``size``, keeping the aspect ratio."""
    h, w = rgb.shape[:2]
    s = size / min(h, w)
    return imageio.resize(rgb, (max(size, round(w * s)), max(size, round(h * s))))


def center_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """Square ``size`` crop from the middle (resize first if a side is shorter)."""
    if min(rgb.shape[:2]) < size:
        rgb = resize_short(rgb, size)
    h, w = rgb.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return rgb[y : y + size, x : x + size]


def random_resized_crop(
    rgb: np.ndarray,
    size: int,
    rng: np.random.Generator,
    scale: tuple[float, float] = (0.5, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> np.ndarray:
    """torchvision's RandomResizedCrop: a random area fraction and aspect, resized to ``size``².

    Varying the crop area varies the scale of detail the networks see, which makes a style net
    less sensitive to the resolution it is later run at.
    """
    h, w = rgb.shape[:2]
    area = h * w
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        a = area * rng.uniform(scale[0], scale[1])
        r = math.exp(rng.uniform(*log_r))
        cw, ch = round(math.sqrt(a * r)), round(math.sqrt(a / r))
        if 0 < cw <= w and 0 < ch <= h:
            y = int(rng.integers(0, h - ch + 1))
            x = int(rng.integers(0, w - cw + 1))
            return imageio.resize(rgb[y : y + ch, x : x + cw], (size, size))
    side = min(h, w)  # fall back to the largest central square, as torchvision does
    y, x = (h - side) // 2, (w - side) // 2
    return imageio.resize(rgb[y : y + side, x : x + side], (size, size))


def random_hflip(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rgb[:, ::-1] if rng.random() < 0.5 else rgb


def film_grain(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Film grain or sensor noise: zero-mean noise, σ 2-9 grey levels, monochrome half the time,
    blurred to 1-2 px clumps. A damage detector shown grainy *clean* photos learns that grain is
    the picture, not a defect (old scans and high-ISO photos are full of it)."""
    h, w = rgb.shape[:2]
    mono = rng.random() < 0.5
    noise = rng.standard_normal((h, w, 1) if mono else (h, w, 3)).astype(np.float32)
    sigma = float(rng.uniform(0.0, 0.8))
    if sigma > 0.3:
        blurred = np.asarray(cv2.GaussianBlur(noise, (0, 0), sigma), np.float32).reshape(noise.shape)
        noise = blurred / max(float(blurred.std()), 1e-6)
    out = rgb.astype(np.float32) + float(rng.uniform(2.0, 9.0)) * noise
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 HWC → float32 CHW in [0, 1] (contiguous, so the DataLoader can stack it)."""
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1))
    return torch.from_numpy(chw).float().div_(255.0)


@dataclass(frozen=True)
class TrainTransform:
    """What a training image goes through: (pad trim →) border crop → resize → random crop → flip → tensor.

    ``prepare`` is the deterministic part (cacheable per file); ``__call__`` the random part.
    """

    size: int
    """Output crop side."""
    resize: int
    """Short side after resizing, before cropping (sets the scale of detail)."""
    scale: tuple[float, float] = (0.5, 1.0)
    flip: bool = True
    border: float = 0.0
    trim: bool = False
    """Cut a flat pad or backdrop first (:func:`huafeng.imageio.trim_mount`; paintings only)."""

    def prepare(self, rgb: np.ndarray) -> np.ndarray:
        if self.trim:
            rgb = imageio.trim_mount(rgb)
        return resize_short(crop_border(rgb, self.border), self.resize)

    def __call__(self, prepared: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        out = random_resized_crop(prepared, self.size, rng, self.scale)
        if self.flip:
            out = random_hflip(out, rng)
        return to_tensor(out)


def sample_rng(seed: int, stream: int, sample: int) -> np.random.Generator:
    """The generator for one sample: independent streams for photos, paintings and styles."""
    return np.random.default_rng([seed, stream, sample])
