"""The service's working parts behind the HTTP routes: store, worker pool, jobs, thumbnails.

Kept apart from :mod:`huafeng.serve.api` so the routes stay a thin map from HTTP to these
methods, and so a test (or a benchmark measuring service overhead) can drive them directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.resources
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from huafeng.caption.band import caption_band
from huafeng.errors import InputError
from huafeng.imageio import Image, atomic_write_bytes, encode_image, fit_side, read_image, resize
from huafeng.infer.engine import StylizeOptions, Stylizer
from huafeng.infer.filters import apply_filters, list_filters
from huafeng.infer.styles import list_styles, resolve_style
from huafeng.serve import jobs
from huafeng.serve.jobs import MIME
from huafeng.serve.metrics import Metrics
from huafeng.serve.pool import Busy, WorkerPool
from huafeng.serve.settings import ServeSettings
from huafeng.serve.store import INPUT_MIME, Job, Store
from huafeng.serve.uploads import UploadError, decode_upload

log = logging.getLogger("huafeng.serve")
T = TypeVar("T")
THUMB_SOURCE = "chelsea.jpg"  # one shipped sample, so every thumbnail shows the same scene


class Timeout(Exception):
    """The work did not finish within the request time limit."""


@dataclass(frozen=True)
class Result:
    data: bytes
    mime: str
    history_id: str | None
    seconds: float


class Service:
    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.data_dir)
        self.pool = WorkerPool(settings.workers, settings.queue_size)
        self.metrics = Metrics(self.pool, self.store)
        self.started = time.time()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._job_threads: list[threading.Thread] = []
        self._thumb_lock = threading.Lock()
        self.warm = threading.Event()  # set when the start-up warm-up is over (or was not asked for)
        self.thumb_dir = settings.data_dir / "thumbs"

    # --------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        n = self.store.requeue_unfinished()
        if n:
            log.info("re-queued %d job(s) left running by the last stop", n)
        if self.settings.warmup:
            threading.Thread(target=self._warmup, name="huafeng-warmup", daemon=True).start()
        else:
            self.warm.set()
        for i in range(self.settings.job_workers):
            t = threading.Thread(target=self._job_loop, name=f"huafeng-jobs-{i}", daemon=True)
            t.start()
            self._job_threads.append(t)

    def begin_shutdown(self) -> None:
        """The first moment of a shutdown (SIGTERM reached the server): event streams end at their
        next tick and new work is refused, so the server's connection drain does not wait 30 s on
        every open SSE stream before :meth:`stop` runs."""
        self._stopping.set()
        self._wake.set()

    def stop(self) -> None:
        """Graceful: refuse new work, let running work finish within the grace, re-queue the rest."""
        self._stopping.set()
        self._wake.set()
        grace = self.settings.shutdown_grace_s
        deadline = time.monotonic() + grace
        self.pool.shutdown(grace)
        for t in self._job_threads:
            t.join(max(0.0, deadline - time.monotonic()))
        n = self.store.requeue_unfinished()
        if n:
            log.warning("re-queued %d unfinished job(s) for the next start", n)
        self.store.close()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # ------------------------------------------------------------------------------- work

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the pool; :class:`Busy` when full, :class:`Timeout` past the time limit."""
        if self.stopping:
            raise Busy(5)
        fut = self.pool.submit(fn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(fut), self.settings.request_timeout_s)
        except TimeoutError:
            fut.cancel()  # dropped unrun if it is still queued
            raise Timeout(f"not finished within {self.settings.request_timeout_s:g} s") from None

    def stylizer(self, style: str) -> Stylizer:
        info = resolve_style(style, allow_paths=False)
        return Stylizer(info, threads=self.settings.threads_per_worker)

    def instant_code(self, picture: bytes) -> Any:
        """``style_image``: the uploaded picture's 100-number style code
        (:func:`huafeng.infer.style_code.predict_code`). Runs on a worker thread (it decodes)."""
        from huafeng.infer.style_code import predict_code

        pic = decode_upload(picture, "style_image", self.settings.max_pixels)
        return predict_code([pic.rgb], threads=self.settings.threads_per_worker or 0)

    def instant_stylizer(self, picture: bytes) -> Stylizer:
        """``style_image``: that code on the shipped arbitrary network
        (:func:`huafeng.infer.instant.style_for_code`). Runs on a worker thread (it decodes)."""
        from huafeng.infer.instant import style_for_code

        return Stylizer(style_for_code(self.instant_code(picture)), threads=self.settings.threads_per_worker)

    def stylize(
        self,
        img: Image,
        stylizer: Stylizer,
        opts: StylizeOptions,
        *,
        fmt: str | None,
        caption: str | None = None,
        save: bool = False,
        params: dict[str, Any] | None = None,
        look: tuple[Any, Any] | None = None,
    ) -> Result:
        """Engine call (+ look, caption) + encode (+ history). Runs on a worker thread.

        ``look`` is ``(Look, ApplyOptions)`` from :mod:`huafeng.looks`: a colour grade after the style.
        """
        t0 = time.perf_counter()
        out = stylizer.stylize(img, opts)
        self.metrics.stylize_seconds.labels(stylizer.info.name).observe(time.perf_counter() - t0)
        if look is not None:
            from huafeng.looks import apply_look

            out = apply_look(out, look[0], look[1])
        if caption:  # the band changes the size, so alpha cannot follow; flatten
            out = Image(rgb=caption_band(out.rgb, caption), exif=out.exif, icc=out.icc)
        fmt = (fmt or ("PNG" if out.alpha is not None else "JPEG")).upper()
        data = encode_image(out, fmt, quality=90)
        hid = None
        if save:
            result_sha = self.store.put_blob(data, MIME[fmt])
            # the "before" picture, re-encoded: displayable in any browser, never the client's bytes
            src = img.with_rgb(fit_side(img.rgb, self.settings.max_output_side))
            source_sha = self.store.put_blob(encode_image(src, "JPEG", quality=85), MIME["JPEG"])
            hid = self.store.add_history(
                "stylize", params or {}, result_sha, source_sha, keep=self.settings.max_history
            )
        return Result(data, MIME[fmt], hid, time.perf_counter() - t0)

    def _warmup(self) -> None:
        """Best effort: anything failing here fails again, with a message, on the real request."""
        try:
            self._warm_parts()
        finally:
            self.warm.set()

    def _warm_parts(self) -> None:
        try:
            from huafeng.caption.ask import parse_ask

            parse_ask("水墨 淡一点")
        except Exception as e:  # an optional part (caption extra) may be missing
            log.info("phrase parser not warmed up (%s)", e)
        for kind, names in (
            ("style", [s.name for s in list_styles()]),
            ("filter", [f.name for f in list_filters()]),
        ):
            for name in names:
                if self.stopping:
                    return
                try:
                    self.thumbnail(kind, name)
                except Exception as e:
                    log.warning("no thumbnail for %s %s (%s)", kind, name, e)

    # -------------------------------------------------------------------------- thumbnails

    def _thumb_source(self) -> np.ndarray:
        res = importlib.resources.files("huafeng").joinpath("assets", "samples", THUMB_SOURCE)
        rgb = read_image(res.read_bytes()).rgb
        h, w = rgb.shape[:2]
        s = min(h, w)
        square = rgb[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
        side = self.settings.thumbnail_side
        return resize(np.ascontiguousarray(square), (side, side))

    def thumbnail(self, kind: str, name: str) -> bytes:
        """A JPEG of the shipped sample made by the style/filter itself, cached on disk.

        The cache key covers the model file's size and mtime, so a retrained style gets a new
        thumbnail; the file name is a hash, so no client-supplied text reaches the file system.
        """
        if kind == "style":
            info = resolve_style(name, allow_paths=False)
            ident = jobs.style_ident(info)
        else:
            names = {f.name for f in list_filters()}
            if name not in names:
                raise InputError(f"unknown filter {name!r}")
            ident = f"filter:{name}"
        key = hashlib.sha256(f"{ident}|{self.settings.thumbnail_side}|v1".encode()).hexdigest()
        path = self.thumb_dir / f"{key}.jpg"
        if path.exists():
            return path.read_bytes()
        with self._thumb_lock:  # one at a time: a gallery asks for all of them at once
            if path.exists():
                return path.read_bytes()
            src = self._thumb_source()
            if kind == "style":
                rgb = Stylizer(info, threads=self.settings.threads_per_worker).stylize_array(src)
            else:
                x = apply_filters(src.astype(np.float32) / 255.0, [name])
                rgb = np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
            data = encode_image(Image(rgb=rgb), "JPEG", quality=85)
            atomic_write_bytes(path, data)
            return data

    # -------------------------------------------------------------------------------- jobs

    def submit_job(self, kind: str, uploads: list[bytes], params: dict[str, Any]) -> Job:
        """Store the inputs by hash and queue a long job (``story`` or ``video``)."""
        if self.stopping:
            raise Busy(5)
        if self.store.count_jobs("queued") >= self.settings.max_queued_jobs:
            raise Busy(max(5, round(self.pool.retry_after() * self.settings.max_queued_jobs)))
        inputs = [self.store.put_blob(b, INPUT_MIME) for b in uploads]
        job = self.store.create_job(kind, params, inputs)
        self._wake.set()
        return job

    def submit_learn(self, uploads: list[bytes], params: dict[str, Any]) -> Job:
        """Queue a learn job, at most ``max_learn_jobs`` at once (each holds both cores for minutes)."""
        busy = self.store.count_jobs("queued", "learn") + self.store.count_jobs("running", "learn")
        if busy >= self.settings.max_learn_jobs:
            raise Busy(max(30, round(60 * float(params["minutes"]))))
        return self.submit_job("learn", uploads, params)

    def submit_story(self, uploads: list[bytes], params: dict[str, Any]) -> Job:
        return self.submit_job("story", uploads, params)

    def check_video(self, data: bytes) -> dict[str, Any]:
        """Probe an uploaded video by content (PyAV) and apply the duration/pixel caps."""
        import tempfile

        from huafeng.videoio import check_video_limits, probe_video

        with tempfile.NamedTemporaryFile(prefix="huafeng-upload-", suffix=".bin") as f:
            f.write(data)
            f.flush()
            try:
                info = probe_video(f.name)
            except InputError as e:  # the message names the temp file; the client knows it as "video"
                raise UploadError(
                    str(e).replace(f.name, "video"), 415 if "not a video" in str(e) else 400
                ) from None
            check_video_limits(
                info,
                "video",
                max_pixels=self.settings.max_video_pixels,
                max_duration_s=self.settings.max_video_seconds,
            )
        return {"width": info.width, "height": info.height, "fps": info.fps, "seconds": info.duration_s}

    def _job_loop(self) -> None:
        while not self.stopping:
            try:
                job = self.store.claim_next_job()
            except Exception:  # the store closed under us at shutdown
                return
            if job is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                results = self._run_job(job)
            except Exception as e:
                if self.stopping:
                    return  # left 'running': stop() re-queues it
                msg = str(e) if isinstance(e, InputError) else f"internal error ({type(e).__name__})"
                if not isinstance(e, InputError):
                    log.exception("job %s failed", job.id)
                self.store.update_job(job.id, status="failed", error=msg, message="failed")
                continue
            if self.stopping:
                return
            self.store.update_job(job.id, status="done", progress=1.0, message="done", results=results)
            self.store.enforce_retention(keep_jobs=self.settings.max_jobs_kept)

    def _run_job(self, job: Job) -> dict[str, str]:
        return jobs.run_job(self.store, self.settings, job, lambda: self.stopping)

    def health(self) -> dict[str, Any]:
        return {
            "status": "stopping" if self.stopping else "ok",
            "warmed_up": self.warm.is_set(),
            "uptime_s": round(time.time() - self.started, 1),
            "workers": self.pool.workers,
            "busy": self.pool.busy,
            "waiting": self.pool.waiting,
            "queue_size": self.pool.queue_size,
            "jobs_queued": self.store.count_jobs("queued"),
        }
