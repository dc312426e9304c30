"""Shared by the reliability tests: outcome classification, the CLI runner, and the figures log.

Every test here records what it tried (``record(section, case, outcome, seconds, **extra)``).
When ``HUAFENG_RELIABILITY_JSON`` names a file, the session writes those records there at the end;
``scripts/reliability_report.py`` runs the suite that way and turns the file into the tables of
``docs/reliability.md``. Without the variable, recording costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from huafeng.errors import InputError

_RECORDS: list[dict[str, Any]] = []
RECORD_ENV = "HUAFENG_RELIABILITY_JSON"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get(RECORD_ENV)
    if path and _RECORDS:
        Path(path).write_text(json.dumps(_RECORDS, indent=1, ensure_ascii=False, default=str))


Recorder = Callable[..., None]


@pytest.fixture
def record() -> Recorder:
    def rec(section: str, case: str, outcome: str, seconds: float = 0.0, **extra: Any) -> None:
        _RECORDS.append({"section": section, "case": case, "outcome": outcome, "seconds": seconds, **extra})

    return rec


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line(message: str, *, limit: int = 400) -> None:
    """What the user reads: one line, no traceback, not a wall of text."""
    text = message.strip()
    assert text, "empty error message"
    assert "\n" not in text, f"multi-line error: {text!r}"
    assert "Traceback" not in text
    assert len(text) <= limit, f"error message of {len(text)} chars"


@dataclass
class Outcome:
    kind: str  # "ok" | "error"
    seconds: float
    value: Any = None
    message: str = ""


def attempt(fn: Callable[[], Any]) -> Outcome:
    """Run ``fn``: a value is "ok", an :class:`InputError` is a clean "error", anything else fails."""
    t0 = time.perf_counter()
    try:
        value = fn()
    except InputError as e:
        dt = time.perf_counter() - t0
        assert_one_line(str(e))
        return Outcome("error", dt, message=str(e))
    return Outcome("ok", time.perf_counter() - t0, value)


@dataclass
class CliResult:
    code: int
    out: str
    err: str
    seconds: float


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``huafeng ARGS`` in-process through ``huafeng.cli.main`` (the real error policy)."""
    from huafeng.cli import main

    def run(*args: str) -> CliResult:
        t0 = time.perf_counter()
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        dt = time.perf_counter() - t0
        cap = capsys.readouterr()
        code = exc.value.code
        return CliResult(code if isinstance(code, int) else 1, cap.out, cap.err, dt)

    return run


def assert_clean_exit(res: CliResult, allowed: tuple[int, ...] = (0, 2)) -> None:
    """Exit 0, or exit 2 with exactly one readable line on stderr; never 1 (an internal fault)."""
    assert res.code in allowed, f"exit {res.code}: {res.err[-500:]}"
    assert "Traceback" not in res.err and "Traceback" not in res.out
    if res.code == 2:
        if res.err.lstrip().startswith("Usage:"):  # Click's usage error: usage, hint, one "Error:" line
            lines = [ln for ln in res.err.strip().splitlines() if ln.strip()]
            assert len(lines) <= 3 and lines[-1].startswith("Error:"), res.err
        else:
            assert_one_line(res.err, limit=600)


@contextmanager
def unchanged(*paths: Path) -> Iterator[None]:
    """The inputs must come out byte-identical (and still there)."""
    before = {p: sha256(p) for p in paths if p.is_file()}
    yield
    for p, h in before.items():
        assert p.is_file() and sha256(p) == h, f"{p} was modified"
