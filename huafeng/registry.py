"""One generic, typed registry: generators, discriminators, filters, evaluation metrics.

Modelled on timm's ``_registry.py``: ``register(name)`` as a decorator, ``build(name, **kw)`` as
the single front door, ``names()`` for listings. An unknown name raises an error that lists the
valid ones, because a typo in a name is the most common user mistake. (Styles are files and
plugins, listed by :func:`huafeng.infer.styles.list_styles`; losses are a table in the training
loop.) A registry may have a ``loader`` (third-party plugins): it runs once, at the first lookup,
never at import, so importing huafeng never runs someone else's code.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from huafeng.errors import InputError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories (classes or functions) that build a ``T``."""

    def __init__(self, kind: str, loader: Callable[[], object] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, Callable[..., T]] = {}
        self._loader = loader

    def _load(self) -> None:
        if self._loader is not None:
            loader, self._loader = self._loader, None  # once, and not again from inside the loader
            loader()

    def register(self, name: str | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            self.add(name or str(getattr(factory, "__name__", factory)), factory)
            return factory

        return deco

    def add(self, name: str, factory: Callable[..., T]) -> None:
        if name in self._items and self._items[name] is not factory:
            warnings.warn(f"{self.kind} {name!r} registered twice; the later one wins", stacklevel=3)
        self._items[name] = factory

    def get(self, name: str) -> Callable[..., T]:
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def build(self, name: str, **kwargs: object) -> T:
        factory = self.get(name)
        check_kwargs(factory, kwargs, f"{self.kind} {name!r}")
        return factory(**kwargs)

    def unknown_message(self, name: str) -> str:
        self._load()
        close = difflib.get_close_matches(name, list(self._items), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Valid: {', '.join(sorted(self._items)) or '(none)'}"

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
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
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
