"""The style registry: every style a user can pick, from every source, in one list.

Sources, in precedence order when two share a name:

1. ``user``    — ``*.onnx`` in the user's style folder (``HUAFENG_STYLES_DIR``, else
   ``platformdirs.user_data_dir("huafeng")/styles``). First, so a user can replace a shipped style
   by dropping a retrained file of the same name there.
2. ``builtin`` — ``*.onnx`` shipped in ``huafeng/assets/styles``.
3. ``plugin``  — third-party packages, entry-point group ``huafeng.styles``: each entry point
   loads to a callable returning ``.onnx`` paths and/or :class:`StyleInfo` objects.
4. ``filter``  — the built-in classic looks (``kind="filter"``), so the gallery and
   ``huafeng styles`` show neural and classic styles together.

Shipped and plugin models are named by their ``huafeng.name`` metadata (else the file stem); files
in the user folder or given as paths by their file name, so what a user sees in the folder is
what they type. Listing only reads
metadata (one un-optimised ORT load per file, cached by path + size + mtime, so a folder is
re-scanned cheaply and a replaced file is re-read). A broken file in a discovery folder is
skipped with one warning instead of breaking the listing for everyone; a broken file the user
names explicitly is an :class:`~huafeng.errors.InputError`.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from huafeng.errors import InputError, UnknownNameError
from huafeng.infer.filters import FILTERS
from huafeng.infer.session import ENV_CAP, check_model_file, inspect_model
from huafeng.registry import did_you_mean

Kind = Literal["onnx", "filter"]
Source = Literal["builtin", "user", "plugin", "file"]
ENTRY_POINT_GROUP = "huafeng.styles"
DEFAULT_ALIAS = "default"
#: The look used as ``default`` when no neural style is installed (a bare ``pip install``).
FALLBACK_DEFAULT = "oil_painting"
# Letters (any script: 水墨 is a fine style name), digits, _ . - ; no separators, no leading dot.
_NAME_RE = re.compile(r"^\w[\w.\-]{0,63}$")


@dataclass(frozen=True)
class StyleInfo:
    """One selectable style: a neural ONNX model or a classic filter look."""

    name: str
    tradition: str  # e.g. "ink wash", "ukiyo-e", "classic filter": the gallery groups by this
    description: str
    license: str
    kind: Kind
    source: Source
    path: Path | None = None  # the .onnx file (kind "onnx")
    filters: tuple[str, ...] = ()  # the filter chain (kind "filter")
    card: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    multiple: int = 1
    style_names: tuple[str, ...] = ()  # sub-styles of a multi-style model, for style_weights
    is_default: bool = False
    code: tuple[float, ...] = ()  # a picture's style code, for a code-conditioned model (infer/style_code.py)

    def __post_init__(self) -> None:
        if self.kind == "onnx" and self.path is None:
            raise ValueError(f"style {self.name!r}: an onnx style needs a path")
        if self.kind == "filter":
            if not self.filters and self.name != "photo":
                raise ValueError(f"style {self.name!r}: a filter look needs a filter chain")
            for f in self.filters:
                FILTERS.get(f)  # unknown filter → UnknownNameError listing the valid ones


# (name, description, filter chain). Descriptions say what the look is, for the gallery.
_FILTER_LOOKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "oil_painting",
        "Oil on canvas: soft brush patches, strokes that follow edges, impasto",
        ("oil_painting",),
    ),
    (
        "watercolor",
        "Watercolour washes with pigment pooled at their edges, on textured paper",
        ("watercolor",),
    ),
    ("pencil_sketch", "Graphite pencil drawing with hatched shading", ("pencil_sketch",)),
    ("cartoon", "Flat cel colours with bold outlines", ("cartoon",)),
    ("bw", "Classic black and white with a gentle contrast curve", ("bw",)),
    ("sepia", "Warm sepia-toned monochrome print", ("sepia",)),
    ("retro", "1970s print: warm, faded, grainy, vignetted", ("retro",)),
    ("neon", "Cyberpunk night: teal shadows, magenta-pink highlights, glowing lights", ("neon",)),
    ("photo", "The photo itself, no painting: for looks and filters alone (ins风, film, vignette)", ()),
)


def filter_looks() -> list[StyleInfo]:
    """The built-in classic looks as styles (kind ``"filter"``)."""
    return [
        StyleInfo(name, "classic filter", desc, "Apache-2.0", "filter", "builtin", filters=chain)
        for name, desc, chain in _FILTER_LOOKS
    ]


def builtin_styles_dir() -> Path | None:
    """``huafeng/assets/styles`` as a real folder (None if the package is zipped or lacks it)."""
    res = importlib.resources.files("huafeng").joinpath("assets", "styles")
    return res if isinstance(res, Path) and res.is_dir() else None


def user_styles_dir() -> Path:
    """``HUAFENG_STYLES_DIR`` if set, else the per-user data folder (may not exist yet)."""
    from huafeng.envsettings import env_dir

    env = env_dir("HUAFENG_STYLES_DIR")
    if env is not None:
        return env
    import platformdirs

    return Path(platformdirs.user_data_dir("huafeng")) / "styles"


def style_from_model(
    path: str | os.PathLike[str], source: Source, *, max_bytes: int | None = None
) -> StyleInfo:
    """Build a :class:`StyleInfo` from an ONNX file's metadata (checks the model contract)."""
    p = Path(path)
    info = inspect_model(p, max_bytes=max_bytes)
    # Files users drop in are named by their file name (what they see in the folder), never by a
    # name inside the file: `my_wave.onnx` exported as "great_wave" must not replace great_wave.
    name = p.stem if source == "user" else (info.meta("name").strip() or p.stem)
    if not _NAME_RE.match(name):
        if not _NAME_RE.match(p.stem):
            raise InputError(f"{p}: style name {name!r} is not usable (letters, digits, _ . - only)")
        name = p.stem
    return StyleInfo(
        name=name,
        tradition=info.meta("tradition", "unspecified"),
        description=info.meta("description"),
        license=info.meta("license", "unknown"),
        kind="onnx",
        source=source,
        path=p,
        card=info.card,
        multiple=info.multiple,
        style_names=info.style_names,
        is_default=info.meta("default").strip().lower() in ("1", "true", "yes"),
    )


_BROKEN: set[tuple[str, int, int]] = set()  # files already warned about, by path + size + mtime
_BROKEN_LOCK = threading.Lock()


def _try_model(path: Path, source: Source) -> StyleInfo | None:
    """``style_from_model`` for discovery: a broken file is skipped with one warning, not raised."""
    try:
        st = path.stat()
    except OSError as e:
        warnings.warn(f"skipping style file {path} ({e})", stacklevel=3)
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _BROKEN_LOCK:
        if key in _BROKEN:
            return None
    try:
        if source != "builtin" and _norm(path.stem) == DEFAULT_ALIAS:
            raise InputError("'default' is the alias of the default style; rename the file")
        # The model-size cap holds for every file we did not ship, listed or named.
        cap = None if source == "builtin" else ENV_CAP
        return style_from_model(path, source, max_bytes=cap)
    except InputError as e:
        with _BROKEN_LOCK:
            _BROKEN.add(key)
        warnings.warn(f"skipping style file {path} ({e})", stacklevel=3)
        return None


def _scan(folder: Path | None, source: Source) -> list[StyleInfo]:
    if folder is None or not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".onnx" and p.is_file())
    return [s for s in (_try_model(p, source) for p in files) if s is not None]


_PLUGIN_STYLES: list[StyleInfo] | None = None
_PLUGIN_LOCK = threading.Lock()


def refresh_plugin_styles() -> None:
    """Forget the discovered plugin styles: the next listing asks the entry points again (for a
    process that installs a plugin while it runs, and for tests)."""
    global _PLUGIN_STYLES
    with _PLUGIN_LOCK:
        _PLUGIN_STYLES = None


def _plugin_styles() -> list[StyleInfo]:
    """Styles from the ``huafeng.styles`` entry points, discovered once per process (at the first
    listing, never at import): a faulty plugin is skipped with a warning."""
    global _PLUGIN_STYLES
    with _PLUGIN_LOCK:
        if _PLUGIN_STYLES is None:
            _PLUGIN_STYLES = _discover_plugin_styles()
        return list(_PLUGIN_STYLES)


def _discover_plugin_styles() -> list[StyleInfo]:
    import importlib.metadata  # here, not at import: ~50 ms that resolving a local style skips

    out: list[StyleInfo] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            items: Iterable[Any] = ep.load()()
            for item in items:
                if isinstance(item, StyleInfo):
                    out.append(replace(item, source="plugin", is_default=False))
                else:
                    style = _try_model(Path(item), "plugin")
                    if style is not None:
                        out.append(replace(style, is_default=False))
        except Exception as e:  # third-party code: anything can go wrong, none of it is ours
            warnings.warn(f"style plugin {ep.name!r} failed ({type(e).__name__}: {e})", stacklevel=2)
    return out


def _pick_default(styles: list[StyleInfo]) -> str:
    """Shipped model flagged ``huafeng.default``, else the most-trained shipped model, else oil."""
    shipped = [s for s in styles if s.source == "builtin" and s.kind == "onnx"]
    flagged = [s for s in shipped if s.is_default]
    if flagged or shipped:

        def rank(s: StyleInfo) -> tuple[bool, int, str]:
            steps = s.card.get("steps", 0)
            return (not s.is_default, -(steps if isinstance(steps, int) else 0), s.name)

        return min(flagged or shipped, key=rank).name
    return FALLBACK_DEFAULT


def list_styles() -> list[StyleInfo]:
    """Every available style, sorted by name; exactly one has ``is_default`` set."""
    return _all_styles(_local_sources())


def _all_styles(local: tuple[list[StyleInfo], list[StyleInfo]]) -> list[StyleInfo]:
    return _merged((*local, _plugin_styles(), filter_looks()))


def _local_sources() -> tuple[list[StyleInfo], list[StyleInfo]]:
    """The user folder, then the shipped folder: the two sources that win every name clash."""
    return _scan(user_styles_dir(), "user"), _scan(builtin_styles_dir(), "builtin")


def _merged(sources: Iterable[list[StyleInfo]]) -> list[StyleInfo]:
    """Sources in priority order as one sorted list: the first of a name wins, with a warning."""
    by_name: dict[str, StyleInfo] = {}
    for group in sources:
        for s in group:
            if s.name in by_name:
                kept = by_name[s.name]
                # A user file named like a shipped style replaces it on purpose — but never silently.
                warnings.warn(
                    f"style {s.name!r} from {s.source} is shadowed by the {kept.source} one"
                    + (f" ({kept.path})" if kept.path else ""),
                    stacklevel=3,
                )
                continue
            by_name[s.name] = s
    default = _pick_default(list(by_name.values()))
    return [
        replace(s, is_default=(s.name == default)) for s in sorted(by_name.values(), key=lambda s: s.name)
    ]


def _resolve_local(name: str, sources: tuple[list[StyleInfo], list[StyleInfo]]) -> StyleInfo | None:
    """``name`` (exact, or the default alias) among the user and shipped files only, or None.

    Those two sources win every clash and the default is always a shipped file, so when the name
    is found here the full listing would give the same answer; skipping the plugin entry points
    (an ``importlib.metadata`` scan of every installed package) saves ~0.1 s of each command.
    """
    local = _merged(sources)
    if name == DEFAULT_ALIAS:
        return next((st for st in local if st.is_default and st.source == "builtin"), None)
    return next((st for st in local if st.name == name), None)


def style_names() -> list[str]:
    """Sorted names of all styles (for CLI completion and error messages)."""
    return [s.name for s in list_styles()]


def load_style_file(path: str | os.PathLike[str], *, max_bytes: int | None = ENV_CAP) -> StyleInfo:
    """A user-supplied ``.onnx`` as a style (source ``"file"``), with the size cap and checks."""
    p = check_model_file(path, max_bytes=max_bytes)
    return style_from_model(p, "file", max_bytes=max_bytes)


_MAX_NAME = 4096  # longer than any path or name a user means


def _norm(name: str) -> str:
    return name.casefold().replace("-", "_").replace(" ", "_")


def resolve_style(name_or_path: str | os.PathLike[str], *, allow_paths: bool = True) -> StyleInfo:
    """A style by name (or ``"default"``), or a path to an ``.onnx`` file.

    Names are matched exactly, then case- and ``-``/``_``-insensitively (``Oil-Painting`` works).
    Anything with a path separator or a leading dot that is not an ``.onnx`` path is refused
    rather than looked up. Services taking names from strangers pass ``allow_paths=False`` so a
    request can never name a file on the server at all.
    """
    raw = os.fspath(name_or_path)
    s = raw.strip()
    if not s:
        raise InputError("empty style name; see `huafeng styles` for the list")
    shown = repr(raw if len(raw) <= 80 else raw[:60] + "…")  # a 5000-character name is not echoed whole
    if "\x00" in s or len(s) > _MAX_NAME:
        raise InputError(f"{shown} is not a style name; see `huafeng styles` for the list")
    if s.lower().endswith(".onnx") and allow_paths:
        return load_style_file(s)
    if "/" in s or "\\" in s or s.startswith(".") or not _NAME_RE.match(s):
        raise InputError(
            f"{shown} is not a style name; give a name from `huafeng styles` or a path to an .onnx file"
        )
    local = _local_sources()  # scanned once, for the local lookup and, if needed, the full list
    found = _resolve_local(s, local)
    if found is not None:
        return found
    styles = _all_styles(local)
    if s == DEFAULT_ALIAS:
        return next(st for st in styles if st.is_default)
    exact = {st.name: st for st in styles}
    if s in exact:
        return exact[s]
    loose = {_norm(st.name): st for st in styles}
    if _norm(s) in loose:
        return loose[_norm(s)]
    hint = did_you_mean(_norm(s), {k: st.name for k, st in loose.items()})
    names = [DEFAULT_ALIAS, *sorted(exact)]
    shown_names = ", ".join(names[:20]) + (
        f" and {len(names) - 20} more (`huafeng styles`)" if len(names) > 20 else ""
    )
    raise UnknownNameError(f"unknown style {s!r}.{hint} Valid: {shown_names}")


def check_new_style_name(name: str) -> str:
    """A name for a style about to be written into the user folder (``learn-style``), or one line.

    Letters, digits, ``_ . -`` only (so it can never escape the folder: no ``/``, no ``..``), and
    never the name of a shipped style, a filter look or the ``default`` alias, which the new file
    would silently shadow.
    """
    s = name.strip()
    if not _NAME_RE.match(s) or s.startswith(".") or ".." in s:
        raise InputError(f"style name {name!r}: use letters, digits, _ . - (no folders, no leading dot)")
    if _norm(s) == DEFAULT_ALIAS:
        raise InputError(f"style name {name!r} is reserved for the default style")
    taken = {_norm(st.name) for st in [*_scan(builtin_styles_dir(), "builtin"), *filter_looks()]}
    if _norm(s) in taken:
        raise InputError(f"style name {name!r} is a shipped style; choose another name")
    return s


def default_style() -> StyleInfo:
    """What ``"default"`` resolves to right now."""
    return resolve_style(DEFAULT_ALIAS)
