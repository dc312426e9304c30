"""Service settings: one frozen dataclass, checked once, passed to :func:`create_app`.

Every limit has a reason next to it. The defaults suit one small machine serving a household or
a demo: a few workers, a short queue (a long queue only turns overload into timeouts), and
uploads capped well above a phone photo but far below anything that could exhaust memory.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from huafeng.errors import InputError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: the only binds that need no token."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything, so treat it as public


def default_data_dir() -> Path:
    """``HUAFENG_SERVE_DIR`` if set, else the per-user data folder's ``serve/``."""
    env = os.environ.get("HUAFENG_SERVE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("huafeng")) / "serve"


@dataclass(frozen=True)
class ServeSettings:
    """How the service runs. ``create_app(ServeSettings(data_dir=...))`` is all a test needs."""

    data_dir: Path = field(default_factory=default_data_dir)
    """SQLite database, content-addressed results and cached thumbnails live here."""
    host: str = "127.0.0.1"
    """Where uvicorn binds; only used to decide whether a token is mandatory."""
    token: str | None = None
    """API token (``Authorization: Bearer``); required when ``host`` is not loopback."""
    workers: int = 2
    """Threads running stylizations; more than the CPU cores only adds contention."""
    queue_size: int = 8
    """Requests allowed to wait for a worker; beyond this the answer is 503 + Retry-After."""
    job_workers: int = 1
    """Threads running long jobs (stories), which wait in SQLite, not in memory."""
    max_queued_jobs: int = 32
    """Queued long jobs allowed at once; a 33rd gets 503."""
    threads_per_worker: int = 1
    """ONNX Runtime intra-op threads per run: workers x threads should not exceed the cores."""
    max_upload_bytes: int = 25 * 1024 * 1024
    """Whole request body cap (a 50 MP JPEG is ~20 MB); counted while streaming, not trusted from headers."""
    max_pixels: int = 40_000_000
    """Decoded pixels per image (decompression-bomb guard), checked from the header before decoding."""
    max_output_side: int = 2048
    """Results are downscaled to this longest side: it bounds the time and memory of every request."""
    request_timeout_s: float = 60.0
    """A request still queued or running after this gets 503; a queued one is dropped unrun."""
    upload_timeout_s: float = 60.0
    """The whole request body must arrive within this (408 otherwise): slow-drip uploads cannot pin
    connections; 25 MiB in 60 s needs only ~3.5 Mbit/s."""
    max_story_photos: int = 8
    max_video_seconds: float = 60.0
    """Video jobs: clips longer than this are refused (social clips are short; 1080p x 60 s is
    minutes of CPU per worker)."""
    max_video_pixels: int = 1920 * 1080
    max_learn_images: int = 20
    """"Use my own style": pictures per request (a style is learnt from its Gram statistics; more
    than a couple of dozen adds upload time, not quality)."""
    max_learn_jobs: int = 2
    """Learn jobs queued or running at once; each is minutes of both cores, so beyond this: 503."""
    learn_minutes: float = 4.0
    """Default training budget of a learn job (the command's default); clients may ask for 1-10."""
    max_history: int = 500
    """Retention: history entries kept (oldest deleted first, with results nobody else uses)."""
    max_jobs_kept: int = 200
    """Retention: finished jobs kept."""
    shutdown_grace_s: float = 20.0
    """On shutdown, running work gets this long to finish; unfinished jobs are re-queued."""
    thumbnail_side: int = 160
    warmup: bool = False
    """At start-up, in the background: make every gallery thumbnail and load the phrase parser's
    dictionary (~1 s quiet, far more on a busy machine), so the first visitor does not pay for it.
    ``huafeng serve`` turns it on; tests leave it off."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        for name in ("workers", "job_workers", "threads_per_worker", "thumbnail_side", "max_story_photos"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("queue_size", "max_queued_jobs", "max_history", "max_jobs_kept", "max_learn_jobs"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.max_learn_images < 1 or not 0.05 <= self.learn_minutes <= 600:
            raise InputError("max_learn_images must be at least 1 and learn_minutes within 0.05-600")
        if self.max_upload_bytes < 1024 or self.max_pixels < 64 * 64 or self.max_output_side < 64:
            raise InputError("upload, pixel and output-size limits are too small to be useful")
        if self.request_timeout_s <= 0 or self.upload_timeout_s <= 0 or self.shutdown_grace_s < 0:
            raise InputError("timeouts must be positive and shutdown_grace_s not negative")
        if self.token is not None and (
            len(self.token) < 16 or len(set(self.token)) < 8 or self.token != self.token.strip()
        ):
            raise InputError(
                "the API token must be at least 16 characters with at least 8 different ones, "
                "and no spaces at either end"
            )
        if not is_loopback(self.host) and not self.token:
            raise InputError(
                f"binding to {self.host} exposes the service beyond this machine: pass --token "
                "(or set HUAFENG_TOKEN)"
            )
