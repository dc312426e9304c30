"""The per-user look store: one folder per look, ``look.json`` + ``look.cube`` (+ ``refine.onnx``).

Plain files, no pickle: a look can be inspected, copied between machines, and its ``.cube``
opened directly in Resolve. The root is ``HUAFENG_LOOKS_DIR`` or
``platformdirs.user_data_dir("huafeng")/looks``. Names are checked against one pattern (any
script's letters, digits, ``_ . -``, no separators, no leading dot), so a name can never
address a path outside the root. A save builds the folder under a temporary name and renames
it into place, so a crash leaves either the old look or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from huafeng.errors import InputError, OutputExistsError, UnknownNameError
from huafeng.looks.look import FORMAT_VERSION, Look
from huafeng.looks.lut import format_cube, read_cube

_NAME_RE = re.compile(r"^\w[\w.\-]{0,63}$")


def default_root() -> Path:
    from huafeng.envsettings import env_dir

    env = env_dir("HUAFENG_LOOKS_DIR")
    if env is not None:
        return env
    import platformdirs

    return Path(platformdirs.user_data_dir("huafeng")) / "looks"


def check_name(name: str) -> str:
    """A look name that is safe as a folder name, or :class:`InputError` saying why not."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or name.endswith("."):
        raise InputError(
            f"bad look name {name!r}: use 1-64 letters, digits, '_', '-' or '.', not starting with '.' "
            "or containing '/'"
        )
    return name


class LookStore:
    """Save, list, get and delete looks under one root folder."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def _dir(self, name: str) -> Path:
        return self.root / check_name(name)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if _NAME_RE.fullmatch(p.name) and (p / "look.json").is_file()
        )

    def exists(self, name: str) -> bool:
        return (self._dir(name) / "look.json").is_file()

    def get(self, name: str) -> Look:
        d = self._dir(name)
        if not (d / "look.json").is_file():
            from huafeng.registry import did_you_mean

            hint = did_you_mean(name, self.names(), n=3)
            have = ", ".join(self.names()) or "none yet (huafeng look learn ...)"
            raise UnknownNameError(f"no look named {name!r}.{hint} Saved looks: {have}")
        return load_look_dir(d)

    def list(self) -> list[dict[str, Any]]:
        """One summary row per saved look (name, LUT size, grain, vignette, refinement, photos)."""
        rows = []
        for n in self.names():
            try:
                meta = json.loads((self.root / n / "look.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a damaged folder must not hide the others
            rows.append(
                {
                    "name": n,
                    "lut_size": meta.get("lut_size"),
                    "grain": meta.get("grain"),
                    "vignette": meta.get("vignette"),
                    "refine": bool(meta.get("refine")),
                    "photos": (meta.get("info") or {}).get("photos"),
                    "created": (meta.get("info") or {}).get("created"),
                }
            )
        return rows

    def save(self, look: Look, *, overwrite: bool = False) -> Path:
        """Write ``look`` under its name; refuses an existing one unless ``overwrite``."""
        final = self._dir(look.name)
        if final.exists() and not overwrite:
            raise OutputExistsError(f"a look named {look.name!r} exists (pass --overwrite to replace it)")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{look.name}-", dir=self.root))
        try:
            info = {
                **look.info,
                "created": look.info.get("created") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            stored = replace(look, info=info)
            (tmp / "look.cube").write_text(format_cube(stored.lut), encoding="utf-8")
            if look.refine is not None:
                shutil.copyfile(look.refine, tmp / "refine.onnx")
            (tmp / "look.json").write_text(json.dumps(stored.to_json(), indent=2), encoding="utf-8")
            os.chmod(tmp, 0o755)
            old = None
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=f".old-{look.name}-", dir=self.root))
                os.replace(final, old / "look")
            os.replace(tmp, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def delete(self, name: str) -> None:
        d = self._dir(name)
        if not d.is_dir():
            raise UnknownNameError(
                f"no look named {name!r} (saved looks: {', '.join(self.names()) or 'none'})"
            )
        shutil.rmtree(d)


def _number(meta: dict[str, Any], key: str, where: str, hi: float) -> float:
    v = meta.get(key) or 0.0
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= hi:
        raise InputError(f"look {where!r} is damaged: {key} must be a number in 0..{hi:g}, got {v!r}")
    return float(v)


def _curve(meta: dict[str, Any], where: str) -> tuple[float, ...]:
    v = meta.get("tone_curve") or []
    ok = (
        isinstance(v, list)
        and len(v) <= 4096
        and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and -1.0 <= float(x) <= 2.0 for x in v
        )
    )
    if not ok:
        raise InputError(f"look {where!r} is damaged: tone_curve must be a list of numbers")
    return tuple(float(x) for x in v)


def load_look_dir(d: Path) -> Look:
    """Read a look folder written by :meth:`LookStore.save`, checking every field.

    Messages name the look, never the server's folder: they reach web clients too.
    """
    where = d.name
    try:
        meta = json.loads((d / "look.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        reason = type(e).__name__ if isinstance(e, OSError) else "not valid JSON"
        raise InputError(f"look {where!r} is damaged ({reason})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise InputError(
            f"look {where!r}: format {meta.get('format') if isinstance(meta, dict) else '?'} "
            f"is not {FORMAT_VERSION}; re-learn or re-import it"
        )
    info = meta.get("info") or {}
    if not isinstance(info, dict):
        raise InputError(f"look {where!r} is damaged: info must be a mapping")
    refine = d / "refine.onnx" if meta.get("refine") else None
    try:
        lut = read_cube(d / "look.cube")
    except InputError:
        raise InputError(f"look {where!r} is damaged: its look.cube cannot be read") from None
    return Look(
        name=d.name,
        lut=lut,
        tone_curve=_curve(meta, where),
        grain=_number(meta, "grain", where, 1.0),
        vignette=_number(meta, "vignette", where, 1.0),
        refine=refine,
        info=dict(info),
    )


def resolve_look(ref: str | os.PathLike[str], store: LookStore | None = None) -> Look:
    """A saved look by name, or a ``.cube`` file by path (colour only), like styles and ``.onnx``."""
    s = str(ref)
    if s.lower().endswith(".cube"):
        lut = read_cube(s)
        return Look(Path(s).stem, lut, info={"source": Path(s).name})
    return (store or LookStore()).get(s)
