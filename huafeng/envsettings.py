"""Every ``HUAFENG_*`` environment variable, parsed in one place, when it is used.

Read at import time, a bad value (``HUAFENG_MAX_PIXELS=lots``) used to crash every command with an
internal error before any code of ours could explain it. Here each variable is read when its value
is needed, and a bad one is a one-line :class:`~huafeng.errors.InputError` naming the variable, what
it expects and its default (exit 2 on the command line, 400 in the service).
"""

from __future__ import annotations

import os
from pathlib import Path

from huafeng.errors import InputError

MiB = 1 << 20
#: name → (default, smallest allowed value, what it means). The defaults are documented where used.
INTS: dict[str, tuple[int, int, str]] = {
    "HUAFENG_MAX_PIXELS": (100_000_000, 1, "decoded pixels per image"),
    "HUAFENG_MAX_FRAMES": (1000, 1, "frames per animated image"),
    "HUAFENG_MAX_MODEL_BYTES": (256 * MiB, 1, "bytes per .onnx model file"),
    "HUAFENG_SESSION_CACHE": (8, 1, "ONNX Runtime sessions kept open"),
    "HUAFENG_THREADS": (0, 0, "ONNX Runtime threads (0: all cores)"),
    "HUAFENG_MAX_THREADS": (256, 1, "threads one model may use"),
    "HUAFENG_AUTO_TILE_PIXELS": (1_500_000, 4096, "pixels above which images are tiled"),
    "HUAFENG_MAX_VIDEO_FRAMES": (36_000, 1, "frames per video"),
}
FLOATS: dict[str, tuple[float, float, str]] = {
    "HUAFENG_MAX_VIDEO_SECONDS": (600.0, 0.1, "seconds per video"),
}


def env_int(name: str) -> int:
    default, lo, what = INTS[name]
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        try:  # 1e9 is a fine way to write a byte count, as long as it is whole
            f = float(raw)
            value = int(f) if f.is_integer() else -1
        except (ValueError, OverflowError):
            value = -1
        if value < 0:
            raise InputError(
                f"{name}={raw!r}: expected a whole number of {what} (default {default})"
            ) from None
    if value < lo:
        raise InputError(f"{name}={raw!r}: must be at least {lo} (default {default})")
    return value


def env_float(name: str) -> float:
    default, lo, what = FLOATS[name]
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r}: expected a number of {what} (default {default:g})") from None
    if not value >= lo or value == float("inf"):
        raise InputError(f"{name}={raw!r}: must be a finite number of at least {lo:g} (default {default:g})")
    return value


def env_dir(name: str) -> Path | None:
    """A folder from ``name`` with ``~`` expanded, or None when unset; ``~nobody/x`` is an error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        p = Path(raw).expanduser()
    except RuntimeError:  # ~user for a user that does not exist
        p = Path(raw)
    if str(p).startswith("~"):
        raise InputError(f"{name}={raw!r}: cannot expand {raw.split('/')[0]!r} (no such user)")
    return p


def env_file(name: str) -> Path | None:
    """A file from ``name`` (``~`` expanded as for :func:`env_dir`), or None when unset."""
    p = env_dir(name)
    if p is not None and not p.is_file():
        raise InputError(f"{name}={os.environ.get(name, '').strip()!r}: no such file")
    return p
