"""Typed frozen configs from plain dicts and back: the one converter every recipe goes through
(style runs' :class:`~huafeng.config.RunCfg`, repair's ``RepairCfg``, ``learn-style``'s options).

A YAML value is coerced to the field's annotation or refused with one line naming the key
(``train.steps: expected an integer, got 'ten'``); unknown keys list the valid ones; a class may
declare ``RENAMED = {"old": "new"}`` so recipes and checkpoints written before a rename still load.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import fields
from typing import Any, Literal, TypeVar

import yaml

from huafeng.errors import InputError

C = TypeVar("C")


def check(ok: bool, msg: str) -> None:
    if not ok:
        raise InputError(msg)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain nested dicts/lists (YAML/JSON-safe), in field order."""

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: conv(getattr(v, f.name)) for f in fields(v)}
        if isinstance(v, (tuple, list)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        return v

    out = conv(cfg)
    assert isinstance(out, dict)
    return out


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(tp: Any, v: Any, where: str) -> Any:
    """Coerce a YAML value to the annotated type, or raise a one-line InputError."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        if isinstance(v, bool):  # YAML 1.1 reads a bare `off`/`on` as a boolean
            v = {False: "off", True: "on"}[v] if ("off" if not v else "on") in args else v
        check(v in args, f"{where}: {v!r} is not one of {', '.join(map(str, args))}")
        return v
    if origin in (typing.Union, types.UnionType):
        if v is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        for alt in inner[:-1]:  # the first alternative that accepts the value (str | list: a str)
            try:
                return _convert(alt, v, where)
            except InputError:
                continue
        return _convert(inner[-1], v, where)
    if tp is bool:
        check(isinstance(v, bool), f"{where}: expected true/false, got {v!r}")
        return v
    if tp is int:
        check(isinstance(v, int) and not isinstance(v, bool), f"{where}: expected an integer, got {v!r}")
        return v
    if tp is float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        check(ok, f"{where}: expected a number, got {v!r}")
        return float(v)
    if tp is str:
        check(
            isinstance(v, (str, int, float)) and not isinstance(v, bool), f"{where}: expected text, got {v!r}"
        )
        return str(v)
    if origin is tuple:
        if isinstance(v, (str, int, float)):
            v = [v]  # a single path or number where a list is expected
        check(isinstance(v, (list, tuple)), f"{where}: expected a list, got {v!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], x, f"{where}[{i}]") for i, x in enumerate(v))
        check(len(v) == len(args), f"{where}: expected {len(args)} values, got {len(v)}")
        return tuple(_convert(a, x, f"{where}[{i}]") for i, (a, x) in enumerate(zip(args, v, strict=True)))
    if origin is dict:
        check(isinstance(v, dict), f"{where}: expected a mapping, got {v!r}")
        return dict(v)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        check(isinstance(v, dict), f"{where}: expected a mapping of {_type_name(tp)} fields, got {v!r}")
        return from_mapping(tp, v, where)
    return v


def from_mapping(cls: type[C], data: dict[str, Any], where: str = "") -> C:
    # Keys renamed since a recipe or checkpoint was written still load (``RENAMED`` on the class).
    renamed: dict[str, str] = getattr(cls, "RENAMED", {})
    data = {renamed.get(k, k): v for k, v in data.items()}
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    for k in data:
        if k not in names:
            at = f" in {where}" if where else ""
            raise InputError(f"unknown key {k!r}{at}; valid keys: {', '.join(names)}")
    kw = {k: _convert(hints[k], v, f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**kw)


def _parse_overrides(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    if overrides is None:
        return {}
    if isinstance(overrides, dict):
        return dict(overrides)
    out: dict[str, Any] = {}
    for item in overrides:
        key, eq, raw = item.partition("=")
        check(bool(eq) and bool(key.strip()), f"override {item!r}: expected key.path=value")
        out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    return out


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """Set dotted keys (``train.steps=10``) in a nested dict; values are parsed as YAML scalars."""
    for dotted, value in _parse_overrides(overrides).items():
        node = data
        parts = dotted.split(".")
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            check(isinstance(nxt, dict), f"override {dotted!r}: {p!r} is not a section")
            node = nxt
        node[parts[-1]] = value
    return data
