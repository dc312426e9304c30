"""3D colour lookup tables: trilinear application and the ``.cube`` format.

A :class:`Lut3D` maps sRGB in ``[domain_min, domain_max]`` to sRGB through an ``N³`` grid
indexed ``table[r, g, b]``. The ``.cube`` text format (Adobe "Cube LUT Specification 1.0",
also read by DaVinci Resolve, Lightroom/Camera Raw profiles, OBS and ffmpeg's ``lut3d``) lists
the grid with **red changing fastest**, then green, then blue; ``TITLE``, ``LUT_3D_SIZE`` and
``DOMAIN_MIN``/``DOMAIN_MAX`` head the file and ``#`` starts a comment.

Trilinear interpolation (not tetrahedral) because it is what ffmpeg and most players default
to, so a look previewed here matches the exported ``.cube`` played elsewhere.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import atomic_write_bytes, check_writable

#: Largest grid accepted from a file (256³ × 3 floats is 200 MB of text already).
MAX_CUBE_SIZE = 256
#: Pixels per interpolation chunk: bounds temporary memory (8 gathers × 3 floats) on 50 MP photos.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Lut3D:
    """An ``N³`` grid of sRGB outputs, ``table[r, g, b] -> (r', g', b')`` as float32."""

    table: np.ndarray
    title: str = ""
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    comments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        t = self.table
        if t.ndim != 4 or t.shape[3] != 3 or not (t.shape[0] == t.shape[1] == t.shape[2]):
            raise InputError(f"a 3D LUT table must be (N, N, N, 3), got {t.shape}")
        if not 2 <= t.shape[0] <= MAX_CUBE_SIZE:
            raise InputError(f"LUT size {t.shape[0]} outside 2..{MAX_CUBE_SIZE}")
        if not np.all(np.isfinite(t)):
            raise InputError("LUT contains NaN or infinite values")
        if any(hi <= lo for lo, hi in zip(self.domain_min, self.domain_max, strict=True)):
            raise InputError(f"LUT domain {self.domain_min}..{self.domain_max} is empty")

    @property
    def size(self) -> int:
        return int(self.table.shape[0])


def grid_points(n: int) -> np.ndarray:
    """The sRGB coordinates of an ``n³`` grid as ``(n, n, n, 3)``, indexed ``[r, g, b]``."""
    v = np.linspace(0.0, 1.0, n, dtype=np.float32)
    r, g, b = np.meshgrid(v, v, v, indexing="ij")
    return np.stack([r, g, b], -1)


def identity_lut(n: int = 33) -> Lut3D:
    return Lut3D(grid_points(n), title="identity")


def apply_lut(rgb: np.ndarray, lut: Lut3D) -> np.ndarray:
    """Trilinear lookup of float32 ``(..., 3)`` sRGB in ``[0, 1]``; same shape out, clipped to [0, 1]."""
    shape = rgb.shape
    flat = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 3)
    n = lut.size
    table = lut.table.reshape(-1, 3).astype(np.float32, copy=False)
    lo = np.asarray(lut.domain_min, np.float32)
    span = np.asarray(lut.domain_max, np.float32) - lo
    out = np.empty_like(flat)
    strides = np.array([n * n, n, 1], dtype=np.int64)
    for s in range(0, len(flat), _CHUNK):
        x = np.clip((flat[s : s + _CHUNK] - lo) / span, 0.0, 1.0) * (n - 1)
        i0 = np.minimum(x.astype(np.int64), n - 2)
        f = x - i0
        base = i0[:, 0] * strides[0] + i0[:, 1] * strides[1] + i0[:, 2]
        acc = np.zeros((len(x), 3), np.float32)
        for dr in (0, 1):
            wr = f[:, 0] if dr else 1 - f[:, 0]
            for dg in (0, 1):
                wg = wr * (f[:, 1] if dg else 1 - f[:, 1])
                for db in (0, 1):
                    w = wg * (f[:, 2] if db else 1 - f[:, 2])
                    acc += w[:, None] * table[base + (dr * n * n + dg * n + db)]
        out[s : s + _CHUNK] = acc
    return np.clip(out, 0.0, 1.0).reshape(shape)


# ------------------------------------------------------------------------------------ .cube files

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TRIPLE = re.compile(rf"^\s*({_NUM})\s+({_NUM})\s+({_NUM})\s*$")


def format_cube(lut: Lut3D) -> str:
    """``.cube`` text for ``lut`` (red fastest, 6 decimals: below 10-bit quantisation)."""
    n = lut.size
    title = (lut.title or "huafeng look").replace('"', "'").replace("\n", " ")
    head = [f"# {c}" for c in lut.comments] + [
        f'TITLE "{title}"',
        f"LUT_3D_SIZE {n}",
        "DOMAIN_MIN {:.6f} {:.6f} {:.6f}".format(*lut.domain_min),
        "DOMAIN_MAX {:.6f} {:.6f} {:.6f}".format(*lut.domain_max),
    ]
    # table[r, g, b] with r fastest == C-order iteration of table transposed to [b, g, r].
    rows = np.transpose(lut.table, (2, 1, 0, 3)).reshape(-1, 3)
    body = "\n".join(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in rows.tolist())
    return "\n".join(head) + "\n" + body + "\n"


def write_cube(path: str | os.PathLike[str], lut: Lut3D, *, overwrite: bool = False) -> Path:
    p = check_writable(path, overwrite=overwrite)
    if p.suffix.lower() != ".cube":
        raise InputError(f"{p}: a LUT is written as .cube")
    atomic_write_bytes(p, format_cube(lut).encode("utf-8"))
    return p


def parse_cube(text: str, name: str = "<cube>") -> Lut3D:
    """Parse ``.cube`` text; 1D LUTs, wrong counts and junk lines are :class:`InputError`."""
    title = ""
    size = 0
    dmin, dmax = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    values: list[tuple[float, float, float]] = []
    comments: list[str] = []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        m = _TRIPLE.match(line)
        if m:
            values.append((float(m[1]), float(m[2]), float(m[3])))
            continue
        key, _, rest = line.partition(" ")
        key = key.upper()
        if values:
            raise InputError(f"{name}:{no}: keyword {key} after the table data")
        if key == "TITLE":
            title = rest.strip().strip('"')
        elif key == "LUT_3D_SIZE":
            try:
                size = int(rest)
            except ValueError:
                raise InputError(f"{name}:{no}: LUT_3D_SIZE needs an integer") from None
            if not 2 <= size <= MAX_CUBE_SIZE:
                raise InputError(f"{name}:{no}: LUT_3D_SIZE {size} outside 2..{MAX_CUBE_SIZE}")
        elif key == "LUT_1D_SIZE":
            raise InputError(f"{name}: a 1D LUT; huafeng looks need a 3D LUT (LUT_3D_SIZE)")
        elif key in ("DOMAIN_MIN", "DOMAIN_MAX", "LUT_3D_INPUT_RANGE"):
            nums = _floats(rest, name, no, 2 if key == "LUT_3D_INPUT_RANGE" else 3)
            if key == "DOMAIN_MIN":
                dmin = (nums[0], nums[1], nums[2])
            elif key == "DOMAIN_MAX":
                dmax = (nums[0], nums[1], nums[2])
            else:  # Resolve's older two-number form: one range for all channels
                dmin, dmax = (nums[0],) * 3, (nums[1],) * 3
        else:
            raise InputError(f"{name}:{no}: unexpected line {line[:40]!r}")
    if size == 0:
        raise InputError(f"{name}: no LUT_3D_SIZE line; not a 3D .cube file")
    if len(values) != size**3:
        raise InputError(f"{name}: {len(values)} table rows, LUT_3D_SIZE {size} needs {size**3}")
    table = np.asarray(values, dtype=np.float32).reshape(size, size, size, 3)  # [b, g, r]
    return Lut3D(np.ascontiguousarray(np.transpose(table, (2, 1, 0, 3))), title, dmin, dmax, tuple(comments))


def _floats(rest: str, name: str, no: int, count: int) -> list[float]:
    try:
        nums = [float(t) for t in rest.split()]
    except ValueError:
        raise InputError(f"{name}:{no}: expected numbers, got {rest[:40]!r}") from None
    if len(nums) != count or not all(math.isfinite(v) for v in nums):
        raise InputError(f"{name}:{no}: expected {count} finite numbers")
    return nums


def read_cube(path: str | os.PathLike[str]) -> Lut3D:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    if p.stat().st_size > 64 * 1024 * 1024:
        raise InputError(f"{p}: too large for a .cube LUT")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a text .cube file") from None
    return parse_cube(text, str(p))
