"""One generic, typed registry: generators, discriminators, inpainters, filters, evaluation metrics.

Modelled on timm's ``_registry.py``: ``register(name)`` as a decorator, ``build(name, **kw)`` as
the single front door, ``entries()``/``names()`` for listings. Every entry carries its factory, a
one-line description (default: the first line of the factory's docstring) and its source
(``builtin`` or ``plugin:<entry point>``). An unknown name raises an error that lists the valid
ones and the closest match (:func:`did_you_mean`, which every name lookup in huafeng uses),
because a typo in a name is the most common user mistake. A registry may have a ``loader``
(third-party plugins): it runs once, at the first lookup, never at import, so importing huafeng
never runs someone else's code.

(Styles are files and plugins rather than factories: :func:`huafeng.infer.styles.list_styles` and
:func:`~huafeng.infer.styles.resolve_style` are their list/create pair, plugin styles discovered
once per process. The loss terms of style training are a table, ``PERCEPTUAL_TERMS`` in
:mod:`huafeng.train.terms`.)
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from huafeng.errors import InputError, UnknownNameError

T = TypeVar("T")


def did_you_mean(name: str, candidates: Iterable[str] | Mapping[str, str], n: int = 1) -> str:
    """`` Did you mean 'x'?`` for the closest of ``candidates`` (or ``""``): the one spelling of the
    hint. A mapping matches on its keys (e.g. normalised names) and shows their values."""
    shown = candidates if isinstance(candidates, Mapping) else {c: c for c in candidates}
    close = difflib.get_close_matches(name, list(shown), n=n)
    if not close:
        return ""
    return f" Did you mean {' or '.join(repr(shown[c]) for c in close)}?"


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered name: what builds it, what it is, where it came from."""

    factory: Callable[..., T]
    description: str = ""
    source: str = "builtin"  # or "plugin:<entry point name>"


class Registry(Generic[T]):
    """Maps names to factories (classes or functions) that build a ``T``."""

    def __init__(self, kind: str, loader: Callable[[], object] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, Entry[T]] = {}
        self._loader = loader

    def _load(self) -> None:
        if self._loader is not None:
            loader, self._loader = self._loader, None  # once, and not again from inside the loader
            loader()

    def register(
        self, name: str | None = None, *, description: str | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            self.add(name or str(getattr(factory, "__name__", factory)), factory, description=description)
            return factory

        return deco

    def add(
        self, name: str, factory: Callable[..., T], *, description: str | None = None, source: str = "builtin"
    ) -> None:
        if name in self._items and self._items[name].factory is not factory:
            warnings.warn(f"{self.kind} {name!r} registered twice; the later one wins", stacklevel=3)
        if description is None:
            description = ((getattr(factory, "__doc__", None) or "").strip().splitlines() or [""])[0]
        self._items[name] = Entry(factory, description, source)

    def entry(self, name: str) -> Entry[T]:
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def get(self, name: str) -> Callable[..., T]:
        return self.entry(name).factory

    def build(self, name: str, **kwargs: object) -> T:
        factory = self.get(name)
        check_kwargs(factory, kwargs, f"{self.kind} {name!r}")
        return factory(**kwargs)

    def unknown_message(self, name: str) -> str:
        self._load()
        hint = did_you_mean(name, list(self._items))
        return f"unknown {self.kind} {name!r}.{hint} Valid: {', '.join(sorted(self._items)) or '(none)'}"

    def entries(self) -> list[tuple[str, Entry[T]]]:
        """``(name, entry)`` pairs sorted by name: what listings show."""
        self._load()
        return sorted(self._items.items())

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._items)


_SIMPLE = {"int": int, "float": (int, float), "bool": bool, "str": str}


def check_kwargs(factory: Callable[..., object], kwargs: dict[str, object], what: str) -> None:
    """Unknown keyword arguments (a typo like ``widht``) and values of the wrong simple type
    (``width: eight``) are one-line errors naming the valid keywords — before anything is built."""
    import inspect

    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # builtins without a signature: nothing to check
        return
    params = sig.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    valid = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key, value in kwargs.items():
        if key not in valid:
            hint = did_you_mean(key, valid)
            raise InputError(f"{what}: unknown argument {key!r}.{hint} Valid: {', '.join(valid) or '(none)'}")
        ann = params[key].annotation
        want = _SIMPLE.get(ann if isinstance(ann, str) else getattr(ann, "__name__", ""))
        if want is None:
            continue
        bad = (isinstance(value, bool) and want is not bool) or not isinstance(value, want)  # type: ignore[arg-type]
        if bad:
            raise InputError(
                f"{what}: {key} must be {ann if isinstance(ann, str) else ann.__name__}, got {value!r}"
            )
