"""Load mediapipe 0.10.14's ``mp.solutions`` models, offline, next to a modern protobuf.

Why this module exists: 0.10.14 is the last mediapipe that ships its ``.tflite`` models (face
detection, the 468+10-point face mesh, selfie segmentation) inside the wheel. Its metadata pins
``protobuf<5``, but ONNX 1.2x needs protobuf >= 6.31, so the ``faces`` extra installs mediapipe
with ``--no-deps`` (see the Makefile and docs/portraits.md). Under protobuf 6/7 two removed APIs
break ``mp.solutions``; both are restored here, narrowly, before mediapipe is imported:

* ``SymbolDatabase.GetPrototype`` / ``MessageFactory.GetPrototype`` → ``GetMessageClass``
  (used to decode detection and landmark packets);
* ``FieldDescriptor.label`` → derived from ``is_repeated`` (used when a solution sets graph
  options, e.g. face mesh's ``refine_landmarks``).

Each shim is installed only when the attribute is missing, so an older protobuf is untouched.
Graphs are cached per thread-unsafe instance behind a lock: mediapipe graphs are not re-entrant.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from huafeng.errors import InputError

EXTRA_HINT = (
    "install the faces extra: pip install 'huafeng[faces]' && pip install --no-deps mediapipe==0.10.14 "
    "(see docs/portraits.md)"
)

_lock = threading.Lock()
_graphs: dict[tuple[str, tuple[Any, ...]], Any] = {}
_mp: Any = None
_tried = False


def _patch_protobuf() -> None:
    from google.protobuf import descriptor, message_factory, symbol_database

    def get_prototype(_self: object, desc: Any) -> Any:
        return message_factory.GetMessageClass(desc)

    for cls in (symbol_database.SymbolDatabase, message_factory.MessageFactory):
        if not hasattr(cls, "GetPrototype"):
            cls.GetPrototype = get_prototype  # type: ignore[attr-defined]

    def label(field: Any) -> int:
        fd = descriptor.FieldDescriptor
        return int(fd.LABEL_REPEATED if field.is_repeated else fd.LABEL_OPTIONAL)

    kinds: list[Any] = [descriptor.FieldDescriptor]
    with contextlib.suppress(ImportError):
        from google._upb import _message  # the C implementation's descriptor type

        kinds.append(_message.FieldDescriptor)
    for kind in kinds:
        if not hasattr(kind, "label") and hasattr(kind, "is_repeated"):
            with contextlib.suppress(TypeError, AttributeError):
                kind.label = property(label)


@contextlib.contextmanager
def _without_pyplot() -> Iterator[None]:
    """Import mediapipe without matplotlib: ``mp.solutions.drawing_utils`` imports pyplot at
    module level for a plotting helper we never call, and that import alone cost 9 s of a 15 s
    ``import mediapipe`` here (measured with ``-X importtime`` on the loaded 2-core machine).
    Empty stand-in modules are installed only for the import and removed afterwards, so a real
    ``import matplotlib`` later in the process is unaffected."""
    import sys
    import types

    names = ("matplotlib", "matplotlib.pyplot")
    added = [n for n in names if n not in sys.modules]
    for n in added:
        sys.modules[n] = types.ModuleType(n)
    if "matplotlib" in added:
        sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for n in added:
            sys.modules.pop(n, None)


def load() -> Any | None:
    """The ``mediapipe`` module, or None when it is not installed (or cannot load)."""
    global _mp, _tried
    with _lock:
        if not _tried:
            _tried = True
            # glog/absl chatter (XNNPACK, feedback manager) goes to stderr before absl is set up
            os.environ.setdefault("GLOG_minloglevel", "2")
            try:
                _patch_protobuf()
                with _without_pyplot():
                    import mediapipe as mp

                _ = mp.solutions.face_detection  # fails here if the wheel lacks the solutions API
                _mp = mp
            except Exception:  # missing, or a broken install: behave as "not available"
                _mp = None
    return _mp


def available() -> bool:
    return load() is not None


def require(what: str) -> Any:
    """The mediapipe module, or an :class:`InputError` naming the extra (one line)."""
    mp = load()
    if mp is None:
        raise InputError(f"{what} needs mediapipe, which is not installed; {EXTRA_HINT}")
    return mp


@contextlib.contextmanager
def _quiet_fd2() -> Iterator[None]:
    """Send fd 2 to /dev/null: TFLite/absl print "INFO: Created XNNPACK delegate" and a
    feedback-manager warning from C++ on a graph's first runs, before absl logging is set up,
    so no log level can stop them, and the CLI promises clean stderr."""
    import sys

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters): just run
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _Graph:
    """A solution object whose first few ``process`` calls (model loading) run with fd 2 muted."""

    QUIET_CALLS = 3

    def __init__(self, solution: Any) -> None:
        self.solution = solution
        self.calls = 0

    def process(self, rgb: Any) -> Any:
        self.calls += 1
        if self.calls > self.QUIET_CALLS:
            return self.solution.process(rgb)
        with _quiet_fd2():
            return self.solution.process(rgb)


@atexit.register
def _close_all() -> None:
    """Close graphs at exit with fd 2 muted: their C++ teardown prints the same chatter."""
    with _lock:
        graphs = list(_graphs.values())
        _graphs.clear()
    if graphs:
        with _quiet_fd2():
            for g in graphs:
                with contextlib.suppress(Exception):
                    g.solution.close()


@contextlib.contextmanager
def graph(kind: str, **params: Any) -> Iterator[Any]:
    """A cached ``mp.solutions`` object (``face_detection``, ``face_mesh``, ``selfie``), locked.

    Building a graph costs ~50 ms; portraits arrive one at a time, so one graph per parameter
    set is kept for the life of the process and used under the lock.
    """
    mp = require({"face_mesh": "face landmarks", "selfie": "person segmentation"}.get(kind, "detection"))
    key = (kind, tuple(sorted(params.items())))
    with _lock:
        g = _graphs.get(key)
        if g is None:
            s = mp.solutions
            with _quiet_fd2():
                if kind == "face_detection":
                    g = s.face_detection.FaceDetection(**params)
                elif kind == "face_mesh":
                    g = s.face_mesh.FaceMesh(static_image_mode=True, **params)
                elif kind == "selfie":
                    g = s.selfie_segmentation.SelfieSegmentation(**params)
                else:  # pragma: no cover - internal misuse
                    raise ValueError(f"unknown mediapipe graph {kind!r}")
            g = _graphs[key] = _Graph(g)
        yield g
