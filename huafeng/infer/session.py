"""ONNX Runtime sessions: load a style model once, check it, share it.

Why a wrapper rather than ``ort.InferenceSession`` everywhere:

* **Sharing.** Building a session parses the graph, fuses nodes and allocates the weights; for a
  real generator that is 50-500 ms and tens of MiB. The web service stylizes many requests with
  the same few styles, so sessions are cached per ``(file, threads)`` in a small LRU and shared
  across threads. ``InferenceSession.run`` is documented as safe to call concurrently, so one
  session serves every request; the cache itself is guarded by a lock, with one lock per key so
  two requests for the same cold style build it once while other styles load in parallel.
* **Checking.** Users can pass their own ``.onnx``. It must be a file of bounded size that ORT
  can load, with one ``(1, 3, H, W)`` float image input and optionally a ``style`` ``(1, K)``
  weights input (multi-style models, see ``docs/architecture.md``). Anything else becomes an
  :class:`~huafeng.errors.InputError` with one readable line, never an ORT stack dump.
* **Laziness.** ``onnxruntime`` is imported on first use so ``import huafeng.infer`` stays cheap
  for the CLI's ``--help`` and the style listing of filter looks.

Thread count: an explicit argument wins, then ``HUAFENG_THREADS``, then ORT's default (one
thread per physical core). Services running several workers should set it, or the workers fight
over cores.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from huafeng.envsettings import env_int
from huafeng.errors import InputError
from huafeng.infer.onnxmeta import MalformedModel, TensorSig, read_model

if TYPE_CHECKING:
    import onnxruntime as ort

MiB = 1 << 20
#: Cap on a user-supplied ``.onnx``: real style generators are 2-60 MiB, so 256 MiB leaves room
#: while stopping someone from making the service map a multi-GiB file into memory.
#: ``HUAFENG_MAX_MODEL_BYTES`` overrides it (read at use, :mod:`huafeng.envsettings`).
DEFAULT_MAX_MODEL_BYTES = 256 * MiB
#: Sessions kept alive (``HUAFENG_SESSION_CACHE``); each holds its weights plus ORT's arena.
SESSION_CACHE_SIZE = 8
#: Passed for ``max_bytes``: the environment's cap (as opposed to None, no cap).
ENV_CAP = -1

META_PREFIX = "huafeng."


@dataclass(frozen=True)
class ModelInfo:
    """What the engine needs to know about a style model, read from its graph and metadata."""

    path: Path
    input_name: str
    output_name: str
    style_input: str | None  # name of the (1, K) style-weights input, if any
    style_dim: int  # K, or 0 for single-style models
    multiple: int  # H and W must be multiples of this (the engine reflect-pads)
    metadata: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    global_ops: tuple[str, ...] = ()  # ops whose output depends on the whole image (see below)

    @property
    def local(self) -> bool:
        """True if each output pixel depends only on a neighbourhood, so tiles match a whole run.

        Instance/layer/group norm and global pooling see whole-image statistics, which a tile
        cannot; the engine then corrects tiles' tone against a low-resolution whole-image run.
        ``huafeng.tileable`` = "1"/"0" in the metadata overrides the detection.
        """
        flag = self.meta("tileable").strip().lower()
        if flag in ("1", "true", "yes", "0", "false", "no"):
            return flag in ("1", "true", "yes")
        return not self.global_ops

    def meta(self, key: str, default: str = "") -> str:
        """A ``huafeng.*`` metadata value by its short key (``"name"`` → ``huafeng.name``)."""
        return self.metadata.get(META_PREFIX + key, default)

    @property
    def card(self) -> dict[str, Any]:
        """The JSON model card, or ``{}`` if absent or unparsable (a card is informative only)."""
        raw = self.meta("card")
        try:
            card = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return card if isinstance(card, dict) else {}

    @property
    def style_names(self) -> tuple[str, ...]:
        """Names of the K styles of a multi-style model (``"0"``, ``"1"``, ... if unnamed)."""
        if not self.style_dim:
            return ()
        raw = self.meta("style_names").strip()
        names: list[str] = []
        if raw.startswith("["):
            try:
                names = [str(n) for n in json.loads(raw)]
            except ValueError:
                names = []
        elif raw:
            names = [n.strip() for n in raw.split(",")]
        if len(names) != self.style_dim or len(set(names)) != len(names) or not all(names):
            names = [str(i) for i in range(self.style_dim)]
        return tuple(names)


def resolve_threads(threads: int | None = None) -> int | None:
    """Explicit count, else ``HUAFENG_THREADS``, else ``None`` (ORT's default). 0 also means default."""
    if threads is None:
        threads = env_int("HUAFENG_THREADS")  # 0 when unset: ORT's default
    if threads < 0:
        raise InputError(f"threads must be 0 (automatic) or more, got {threads}")
    cap = env_int("HUAFENG_MAX_THREADS")
    if threads > cap:  # ORT spawns them all up front: 100000 threads took >3 GB before failing
        raise InputError(f"threads must be at most {cap}, got {threads}")
    return threads or None


#: More intra-op threads than this only costs memory (each is a pool thread with its own stack);
#: ``HUAFENG_MAX_THREADS`` overrides it.
MAX_THREADS = 256


def check_model_file(path: str | os.PathLike[str], *, max_bytes: int | None = ENV_CAP) -> Path:
    """Existence, type and size checks done before ORT ever opens the file."""
    if max_bytes == ENV_CAP:
        max_bytes = env_int("HUAFENG_MAX_MODEL_BYTES")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such model file")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p}: empty file (0 bytes), not an ONNX model")
    if max_bytes is not None and size > max_bytes:
        raise InputError(
            f"{p}: {_human(size)} exceeds the model size limit of {_human(max_bytes)} "
            "(raise it with HUAFENG_MAX_MODEL_BYTES if you trust this file)"
        )
    return p


def _human(n: int) -> str:
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"


def _short(e: BaseException) -> str:
    text = str(e).strip()
    line = text.splitlines()[0] if text else type(e).__name__
    return line[:200]


def _build(
    path: Path, threads: int | None, *, optimize: bool, spin: bool = True, arena: bool = True
) -> ort.InferenceSession:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3  # errors only: ORT warns about unused initializers in exported graphs
    if optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    else:  # metadata reads: skip graph fusion, it is the expensive part of loading
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    if threads:
        so.intra_op_num_threads = threads
    if not spin:  # waiting threads sleep instead of spinning: better beside other busy threads
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.enable_cpu_mem_arena = arena
    try:
        return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises pybind types (InvalidProtobuf, Fail, ...) with no common base
        raise InputError(f"{path}: not a loadable ONNX model ({_short(e)})") from None


def _is_dynamic_or(dim: object, value: int) -> bool:
    return not isinstance(dim, int) or dim == value


def _positive_int_meta(meta: Mapping[str, str], key: str, path: Path, default: int) -> int:
    raw = meta.get(META_PREFIX + key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"{path}: metadata {META_PREFIX}{key}={raw!r} is not a whole number") from None
    if value < 1:
        raise InputError(f"{path}: metadata {META_PREFIX}{key}={value} must be at least 1")
    return value


def describe_model(sess: ort.InferenceSession, path: Path) -> ModelInfo:
    """Check a live session's inputs/outputs against the huafeng model contract."""

    def sig(args: Any) -> tuple[TensorSig, ...]:
        return tuple(TensorSig(a.name, a.type, tuple(a.shape)) for a in args)

    meta = dict(sess.get_modelmeta().custom_metadata_map)
    return describe_io(sig(sess.get_inputs()), sig(sess.get_outputs()), meta, path, find_global_ops(path))


def describe_io(
    inputs: Sequence[TensorSig],
    outputs: Sequence[TensorSig],
    meta: dict[str, str],
    path: Path,
    global_ops: tuple[str, ...],
) -> ModelInfo:
    """The :class:`ModelInfo` of a graph signature, or an :class:`InputError` saying what is off.

    One check for both sources of a signature: a session (stylizing) and the file's own bytes
    (:mod:`huafeng.infer.onnxmeta`, listing), so a model is judged the same way by both.
    """
    images = [i for i in inputs if len(i.shape) == 4]
    styles = [i for i in inputs if len(i.shape) == 2]
    if len(images) != 1 or len(inputs) != len(images) + len(styles) or len(styles) > 1:
        got = ", ".join(f"{i.name}{list(i.shape)}" for i in inputs) or "none"
        raise InputError(
            f"{path}: expected one image input (1, 3, H, W) and optionally a style input (1, K); got {got}"
        )
    image = images[0]
    n, c = image.shape[0], image.shape[1]
    if image.type != "tensor(float)" or not _is_dynamic_or(n, 1) or not _is_dynamic_or(c, 3):
        raise InputError(
            f"{path}: image input must be float32 (1, 3, H, W), got {image.type} {list(image.shape)}"
        )
    out = next((o for o in outputs if o.name == "output"), outputs[0] if outputs else None)
    if out is None or len(out.shape) != 4:
        raise InputError(f"{path}: expected a (1, 3, H, W) image output")
    multiple = _positive_int_meta(meta, "multiple", path, 1)
    style_dim = 0
    style_input = None
    if styles:
        style_input = styles[0].name
        declared = styles[0].shape[1]
        style_dim = _positive_int_meta(meta, "style_dim", path, declared if isinstance(declared, int) else 0)
        if style_dim < 1 or (isinstance(declared, int) and declared != style_dim):
            raise InputError(
                f"{path}: style input {list(styles[0].shape)} disagrees with style_dim={style_dim}"
            )
    return ModelInfo(path, image.name, out.name, style_input, style_dim, multiple, meta, global_ops)


#: ONNX ops whose output at a pixel depends on statistics of the whole input.
GLOBAL_OPS = (
    "InstanceNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "MeanVarianceNormalization",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "GlobalLpPool",
)


def find_global_ops(path: Path) -> tuple[str, ...]:
    """Which :data:`GLOBAL_OPS` a model file mentions, by scanning its bytes.

    ORT does not expose the graph and ``onnx`` is not a runtime dependency, but op types are
    stored as plain strings in the protobuf, so a byte search finds them. A false positive (the
    name in a doc string) only costs the tone correction; ``ReduceMean`` is left out because it is
    as often a per-pixel channel mean as a spatial one.
    """
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return tuple(op for op in GLOBAL_OPS if data.find(op.encode()) >= 0)
    except (OSError, ValueError):
        return ()


class Session:
    """One loaded, checked model. ``run`` may be called from several threads at once."""

    def __init__(self, path: Path, threads: int | None, *, spin: bool = True, arena: bool = True) -> None:
        self.path = path
        self.threads = threads
        self._sess = _build(path, threads, optimize=True, spin=spin, arena=arena)
        self.info = describe_model(self._sess, path)

    def run(self, x: np.ndarray, style: np.ndarray | None = None) -> np.ndarray:
        """NCHW float32 [0, 1] in, NCHW float32 out (unclipped: callers clip once, at the end)."""
        feeds: dict[str, np.ndarray] = {self.info.input_name: np.ascontiguousarray(x, dtype=np.float32)}
        if self.info.style_input is not None:
            if style is None:  # the engine always passes weights; this is for direct callers
                style = np.eye(1, self.info.style_dim, dtype=np.float32)
            feeds[self.info.style_input] = np.asarray(style, dtype=np.float32).reshape(1, -1)
        try:
            (y,) = self._sess.run([self.info.output_name], feeds)
        except Exception as e:
            shape = "x".join(str(s) for s in x.shape)
            memory = any(w in str(e).lower() for w in ("alloc", "memory"))
            hint = "; try a smaller max_size or tile" if memory else ""
            raise InputError(
                f"{self.path.name}: model failed on a {shape} input ({_short(e)}){hint}"
            ) from None
        y = np.asarray(y, dtype=np.float32)
        if y.shape != x.shape:
            raise InputError(
                f"{self.path.name}: model returned shape {list(y.shape)} for input {list(x.shape)}; "
                "style models must keep the image size"
            )
        return y


def _stat_key(path: Path) -> tuple[str, int, int]:
    """Resolved path + size + mtime: a model replaced on disk is reloaded, not served stale."""
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


class _LRU:
    """Thread-safe LRU with per-key build locks (so a cold style is built once, not per request)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[object, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[object, threading.Lock] = {}

    def get_or_build(self, key: object, build: Any) -> Any:
        if not self.size:
            self.size = env_int("HUAFENG_SESSION_CACHE")
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                value = build()  # outside the global lock: other keys keep loading meanwhile
            finally:
                with self._lock:
                    self._key_locks.pop(key, None)
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_SESSIONS = _LRU(0)  # sized from HUAFENG_SESSION_CACHE at first use
_INFOS = _LRU(256)  # ModelInfo is small; listings of big style folders should stay warm


def get_session(
    path: str | os.PathLike[str],
    threads: int | None = None,
    *,
    max_bytes: int | None = None,
    spin: bool = True,
    arena: bool = True,
) -> Session:
    """The shared :class:`Session` for ``path`` (built on first use). ``max_bytes`` caps user files.

    ``spin=False`` makes ORT's idle threads sleep rather than spin. Measured: one photo at a time
    is faster with spinning (47 vs 51 ms, 2-core Xeon); 720p video, where a decoder and an
    encoder thread share the cores, is faster without (8.1 vs 7.4 fps, 2-core EPYC).

    ``arena=False`` turns off ORT's memory arena, which keeps and grows the largest buffers it has
    seen: three 16 MP photos in a row peaked at 1909 MiB with it and 1038 MiB without (2-core
    EPYC), at ~15 % more time per image, so the engine uses it only for images over 4 MP.
    """
    p = check_model_file(path, max_bytes=max_bytes)
    t = resolve_threads(threads)
    key = (_stat_key(p), t, spin, arena)
    return _SESSIONS.get_or_build(key, lambda: Session(p, t, spin=spin, arena=arena))  # type: ignore[no-any-return]


def inspect_model(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> ModelInfo:
    """Read and check a model's I/O and metadata from its bytes, without building a session (cached).

    A file whose bytes parse but that ORT cannot load passes here and fails, as one line, when a
    session is built for it; listings stay fast (#18: 19 styles in ~0.1 s instead of ~0.5 s).
    """
    p = check_model_file(path, max_bytes=max_bytes)

    def build() -> ModelInfo:
        try:
            sig = read_model(p)
        except MalformedModel:  # let ORT say what is wrong with it, in its words
            return describe_model(_build(p, 1, optimize=False), p)
        ops = tuple(op for op in GLOBAL_OPS if op in sig.op_types)
        return describe_io(sig.inputs, sig.outputs, sig.metadata, p, ops)

    return _INFOS.get_or_build(_stat_key(p), build)  # type: ignore[no-any-return]


def clear_session_cache() -> None:
    """Drop cached sessions and metadata (tests; a service reloading its styles)."""
    _SESSIONS.clear()
    _INFOS.clear()
