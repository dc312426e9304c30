"""``huafeng batch``: stylize a large collection on Ray Data, resumably, with a manifest.

The shape of the job, and why:

* **Plan on the driver.** List the input tree once (fsspec: a folder, ``s3://``, ``gs://``, ...),
  read the previous manifest, and keep only the items whose input, style or options changed since
  they last succeeded (see :mod:`huafeng.scale.manifest`). Re-running a finished job starts no
  worker at all.
* **Stylize in actors.** ``Dataset.map_batches`` with an :class:`~ray.data.ActorPoolStrategy`:
  each actor loads the ONNX model once and keeps its session warm, with **one** ORT thread and one
  CPU reserved, so the pool is the unit of parallelism (N actors on N cores beat one N-thread
  session on small images: no intra-op synchronisation). The model's bytes travel with the job,
  so cluster nodes need huafeng installed but not the style file.
* **Workers read and write the files themselves** (fsspec), so image bytes never pass through the
  driver or the object store; only small result rows come back.
* **Failures are data.** A corrupt photo becomes an ``error`` row, the batch goes on. Outputs are
  written atomically (temp file + rename locally, single PUT on object stores), so an existing
  output is always a complete one.
* **Local by default.** Without ``address`` Ray starts a private local cluster sized to
  ``workers`` (or all cores); ``address="auto"`` joins a running cluster (``ray start --head``).

Nothing here imports torch.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from huafeng.errors import HuafengError, InputError
from huafeng.imageio import KEEP_EXTENSIONS, READ_EXTENSIONS, encode_image, format_for_path, read_image
from huafeng.infer.engine import StylizeOptions, Stylizer
from huafeng.infer.styles import StyleInfo, resolve_style, style_from_model
from huafeng.scale.manifest import (
    Row,
    fingerprint,
    fs_for,
    is_local,
    join,
    put,
    read_manifest,
    write_manifest,
)

_OUT_EXT = {"jpg": ".jpg", "jpeg": ".jpg", "png": ".png", "webp": ".webp", "tif": ".tif", "tiff": ".tif"}
_KEEP_EXT = KEEP_EXTENSIONS
MANIFEST_EVERY_S = 30.0
"""How often the driver rewrites manifest.jsonl during a run (progress survives a crash)."""


@dataclass(frozen=True)
class BatchCfg:
    """One batch job. Options mirror ``huafeng stylize``; the rest says where and how wide."""

    input_uri: str
    output_uri: str
    style: str = "default"
    strength: float = 1.0
    preserve_color: bool = False
    filters: tuple[str, ...] = ()
    max_size: int | None = None
    fmt: str | None = None
    """Output type (jpg, png, webp, tif); None keeps the input's when writable, else png."""
    quality: int = 92
    address: str | None = None
    """None = a private local Ray cluster; "auto" or "ray://host:10001" = an existing one."""
    workers: int | None = None
    """Actors (one CPU, one ORT thread each); None = every CPU of the cluster."""
    batch_size: int = 4
    """Images per actor call: small, so work spreads evenly and a slow image delays little."""
    retry_failed: bool = False
    """Try inputs that failed before again even if they have not changed."""
    overwrite: bool = False
    """Replace outputs that exist but that no earlier run of this job wrote."""

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InputError(f"workers must be at least 1, got {self.workers}")
        if self.batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.fmt is not None and self.fmt.lower().lstrip(".") not in _OUT_EXT:
            raise InputError(f"--format must be one of {', '.join(sorted(_OUT_EXT))}, not {self.fmt!r}")
        StylizeOptions(strength=self.strength, filters=self.filters, max_size=self.max_size)  # checks


@dataclass(frozen=True)
class Item:
    input: str
    output: str
    fingerprint: str


@dataclass
class BatchReport:
    total: int
    """Inputs found."""
    skipped: int
    """Already done (or failed on identical input) in an earlier run."""
    done: int
    failed: int
    seconds: float
    """Wall time of the Ray part (0 when there was nothing to do)."""
    workers: int
    manifest: str
    failures: list[Row] = field(default_factory=list)
    """Inputs that failed in this run."""
    earlier_failures: list[Row] = field(default_factory=list)
    """Inputs skipped because they failed before on identical bytes (``retry_failed`` tries them)."""

    @property
    def images_per_s(self) -> float:
        return (self.done + self.failed) / self.seconds if self.seconds > 0 else 0.0


# ------------------------------------------------------------------------------------ planning


def _output_rel(rel: str, fmt: str | None) -> str:
    p = PurePosixPath(rel)
    if fmt:
        return str(p.with_suffix(_OUT_EXT[fmt.lower().lstrip(".")]))
    return str(p if p.suffix.lower() in _KEEP_EXT else p.with_suffix(".png"))


def list_inputs(uri: str, skip_under: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """``(path, info)`` of every image under a folder/prefix (recursive) or matching a glob."""
    fs, root = fs_for(uri)
    if any(c in root for c in "*?["):
        found = fs.glob(root, detail=True)
    elif fs.isdir(root):
        found = fs.find(root, detail=True)
    elif fs.exists(root):
        raise InputError(f"{uri}: give a folder (or a glob), not a single file; use `huafeng stylize`")
    else:
        raise InputError(f"{uri}: no such folder")
    out = []
    for path, info in sorted(found.items()):
        if info.get("type", "file") != "file" or not path.lower().endswith(READ_EXTENSIONS):
            continue
        if skip_under and (path + "/").startswith(skip_under.rstrip("/") + "/"):
            continue  # our own outputs when the output folder sits inside the input folder
        out.append((path, info))
    return out


def plan(cfg: BatchCfg, recipe: str) -> tuple[list[Item], dict[str, Row], int]:
    """``(items to do, manifest rows to keep, inputs found)`` for this run."""
    in_fs, in_root = fs_for(cfg.input_uri)
    out_fs, out_root = fs_for(cfg.output_uri)
    same_fs = type(in_fs) is type(out_fs)
    if same_fs and out_root.rstrip("/") == in_root.rstrip("/"):
        raise InputError("the output folder must differ from the input folder (inputs are never overwritten)")
    inputs = list_inputs(cfg.input_uri, skip_under=out_root if same_fs else None)
    if not inputs:
        raise InputError(f"{cfg.input_uri}: no images found (looked for {', '.join(READ_EXTENSIONS)})")
    prev = read_manifest(out_fs, out_root)
    existing = set(out_fs.find(out_root)) if out_fs.isdir(out_root) else set()
    base = in_root if not any(c in in_root for c in "*?[") else in_root.split("*")[0].rsplit("/", 1)[0]
    todo: list[Item] = []
    kept: dict[str, Row] = {}
    seen_out: set[str] = set()
    for path, info in inputs:
        rel = posixpath_rel(path, base)
        out_path = join(out_root, _output_rel(rel, cfg.fmt))
        if out_path in seen_out:  # a.jpg and a.png → same a.png under --format png
            out_path = join(out_root, _output_rel(f"{rel}.{PurePosixPath(rel).suffix.lstrip('.')}", cfg.fmt))
        seen_out.add(out_path)
        src = _uri(in_fs, path)
        fp = fingerprint(info)
        row = prev.get(src)
        if row is not None and _still_valid(row, fp, recipe, out_path in existing, cfg.retry_failed):
            kept[src] = row
            continue
        if out_path in existing and row is None and not cfg.overwrite:
            kept[src] = Row(src, _uri(out_fs, out_path), "error", _EXISTS, 0.0, fp, recipe, "", time.time())
            continue
        todo.append(Item(src, _uri(out_fs, out_path), fp))
    # rows of inputs that no longer exist are dropped: the manifest describes the collection as it is
    return todo, kept, len(inputs)


def _still_valid(row: Row, fp: str, recipe: str, output_exists: bool, retry_failed: bool) -> bool:
    """An earlier result stands if input and recipe are unchanged and it succeeded (output still
    there) or failed (identical bytes fail identically, unless asked to retry)."""
    if row.fingerprint != fp or row.recipe != recipe:
        return False
    return output_exists if row.status == "ok" else not retry_failed


_EXISTS = "output exists and was not written by this batch job (pass --overwrite to replace it)"


def posixpath_rel(path: str, base: str) -> str:
    base = base.rstrip("/")
    return path[len(base) + 1 :] if base and path.startswith(base + "/") else PurePosixPath(path).name


def _uri(fs: Any, path: str) -> str:
    return path if is_local(fs) else str(fs.unstrip_protocol(path))


def recipe_for(info: StyleInfo, model: bytes | None, cfg: BatchCfg) -> str:
    """What decides the pixels: the model's bytes (or the look's filters) and every option."""
    h = hashlib.sha256(model or json.dumps(list(info.filters)).encode())
    opts = [cfg.strength, cfg.preserve_color, list(cfg.filters), cfg.max_size, cfg.fmt, cfg.quality]
    h.update(json.dumps([info.name, opts]).encode())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------------- workers


class StylizeWorker:
    """A Ray actor: one warm ORT session (1 thread), stylizing the URIs it is handed."""

    def __init__(
        self, style: str, model: list[Any], options: dict[str, Any], fmt: str | None, quality: int
    ) -> None:
        if model:  # the model came with the job: nodes need not have the file
            import ray

            # ``model`` is ``[ObjectRef]``: wrapped so Ray passes the (small) ref rather than the
            # bytes as a constructor argument, which keeps the actor restartable.
            self._dir = tempfile.TemporaryDirectory(prefix="huafeng-batch-")
            path = os.path.join(self._dir.name, "style.onnx")
            with open(path, "wb") as f:
                f.write(ray.get(model[0]))
            info = style_from_model(path, "file")
        else:
            info = resolve_style(style)
        self.stylizer = Stylizer(info, threads=1)
        self.opts = StylizeOptions(**options, threads=1)
        self.fmt, self.quality = fmt, quality
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = [self.one(str(i), str(o)) for i, o in zip(batch["input"], batch["output"], strict=True)]
        return {
            "input": np.array([r[0] for r in rows], dtype=object),
            "output": np.array([r[1] for r in rows], dtype=object),
            "status": np.array([r[2] for r in rows], dtype=object),
            "error": np.array([r[3] for r in rows], dtype=object),
            "seconds": np.array([r[4] for r in rows], dtype=np.float64),
            "worker": np.array([self.worker] * len(rows), dtype=object),
        }

    def one(self, src: str, dst: str) -> tuple[str, str, str, str, float]:
        """Stylize one file; any failure is returned as a row, never raised (the batch goes on)."""
        t0 = time.perf_counter()
        try:
            in_fs, in_path = fs_for(src)
            buf = io.BytesIO(in_fs.cat_file(in_path))
            buf.name = src  # so errors name the file
            img = read_image(buf)
            res = self.stylizer.stylize(img, self.opts)
            data = encode_image(res, format_for_path(dst), quality=self.quality)
            out_fs, out_path = fs_for(dst)
            if not is_local(out_fs):
                out_fs.makedirs(posixpath_parent(out_path), exist_ok=True)
            put(out_fs, out_path, data)
            return src, dst, "ok", "", time.perf_counter() - t0
        except HuafengError as e:
            msg = str(e)
        except Exception as e:  # a fault in one image must not take the other million down
            msg = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
        return src, dst, "error", msg, time.perf_counter() - t0


def posixpath_parent(path: str) -> str:
    return str(PurePosixPath(path).parent)


# ---------------------------------------------------------------------------------------- ray


@contextmanager
def ray_session(address: str | None, workers: int | None) -> Iterator[None]:
    """Join ``address`` or start a private local Ray; leave an already-running session alone."""
    # Ray Data logs every operator's state to the console; errors still show (and raise).
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
    # Ray's C++ core writes its own "core_worker.cc:… E" lines to stderr (at shutdown, say); they
    # are for Ray's developers, and a failure that matters reaches us as an exception anyway.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    import ray

    if ray.is_initialized():
        yield
        return
    kw: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    if address is None:
        kw["num_cpus"] = workers or os.cpu_count() or 1
        # Ray renices its workers by +15 so cluster daemons stay responsive; in a private local
        # Ray the workers *are* the job, and on a busy machine +15 starves them (measured: 5x
        # slower than the same work in the CLI's own process). Keep the caller's priority.
        os.environ.setdefault("RAY_worker_niceness", "0")
    try:
        ray.init(address=address, **kw)
    except ConnectionError as e:
        raise InputError(
            f"cannot reach a Ray cluster at {address!r} ({e}); start one with `ray start --head`"
        ) from None
    try:
        yield
    finally:
        ray.shutdown()


def run_batch(cfg: BatchCfg, progress: Callable[[int, int], None] | None = None) -> BatchReport:
    """Plan, stylize what is left on Ray, write the manifest; see the module docstring."""
    info = resolve_style(cfg.style)
    model = _read_model(info)
    recipe = recipe_for(info, model, cfg)
    todo, rows, total = plan(cfg, recipe)
    out_fs, out_root = fs_for(cfg.output_uri)
    out_fs.makedirs(out_root, exist_ok=True)
    manifest = _uri(out_fs, join(out_root, "manifest.parquet"))
    earlier = _failures(rows)
    if not todo:
        write_manifest(out_fs, out_root, rows.values(), parquet=True)
        return BatchReport(total, len(rows), 0, 0, 0.0, 0, manifest, [], earlier)
    skipped = len(rows)
    options = dict(
        strength=cfg.strength, preserve_color=cfg.preserve_color, filters=cfg.filters, max_size=cfg.max_size
    )
    with ray_session(cfg.address, cfg.workers):
        import ray

        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        workers = min(cfg.workers or cpus, cpus)  # an actor holds a CPU: more would never start
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the caller gets per-batch progress instead
        ctx.print_on_execution_start = False
        # Small jobs get smaller batches so that every actor has work; one block per batch.
        per_call = max(1, min(cfg.batch_size, -(-len(todo) // workers)))
        blocks = -(-len(todo) // per_call)
        pool = min(workers, blocks)
        ds = ray.data.from_items(
            [{"input": it.input, "output": it.output} for it in todo], override_num_blocks=blocks
        ).map_batches(
            StylizeWorker,
            fn_constructor_kwargs=dict(
                style=info.name,
                model=[ray.put(model)] if model is not None else [],
                options=options,
                fmt=cfg.fmt,
                quality=cfg.quality,
            ),
            batch_size=per_call,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=pool),
            num_cpus=1,
        )
        fps = {it.input: it.fingerprint for it in todo}
        t0 = time.perf_counter()
        try:
            done, failed = _collect(ds, rows, fps, recipe, progress, len(todo), out_fs, out_root)
        finally:  # Ctrl-C or a crash: what finished is recorded, a re-run does the rest
            write_manifest(out_fs, out_root, rows.values(), parquet=True)
        seconds = time.perf_counter() - t0
    report = BatchReport(total, skipped, done, failed, seconds, pool, manifest)
    report.failures = _failures({k: v for k, v in rows.items() if k in fps})
    report.earlier_failures = earlier
    return report


def _collect(
    ds: Any,
    rows: dict[str, Row],
    fps: dict[str, str],
    recipe: str,
    progress: Callable[[int, int], None] | None,
    total: int,
    out_fs: Any,
    out_root: str,
) -> tuple[int, int]:
    """Stream result rows from the actors into ``rows``, rewriting the manifest now and then."""
    done = failed = 0
    last_write = time.perf_counter()
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for i in range(len(batch["input"])):
            src, status = str(batch["input"][i]), str(batch["status"][i])
            error = str(batch["error"][i]) or None
            rows[src] = Row(
                src, str(batch["output"][i]), status, error, float(batch["seconds"][i]),
                fps[src], recipe, str(batch["worker"][i]), time.time(),
            )  # fmt: skip
            done, failed = done + (status == "ok"), failed + (status != "ok")
        if progress is not None:
            progress(done + failed, total)
        if time.perf_counter() - last_write > MANIFEST_EVERY_S:
            write_manifest(out_fs, out_root, rows.values())
            last_write = time.perf_counter()
    return done, failed


def _failures(rows: dict[str, Row]) -> list[Row]:
    return [r for r in rows.values() if r.status != "ok"]


def _read_model(info: StyleInfo) -> bytes | None:
    if info.kind != "onnx" or info.path is None:
        return None
    return info.path.read_bytes()
