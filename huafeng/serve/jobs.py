"""Long jobs (stories, videos): what a job thread runs, reading inputs from and writing results to the store.

A job is a row in SQLite plus input blobs, so it survives restarts; the functions here are
re-runnable from the row alone. ``stopping`` lets progress updates stop once shutdown began
(the row stays ``running`` and :meth:`~huafeng.serve.store.Store.requeue_unfinished` puts it back).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huafeng.errors import InputError
from huafeng.imageio import encode_animation, encode_image, fit_side, read_image
from huafeng.infer.engine import StylizeOptions
from huafeng.infer.styles import StyleInfo, resolve_style
from huafeng.serve.settings import ServeSettings
from huafeng.serve.store import Job, Store
from huafeng.story import StoryOptions, make_story

MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "MP4": "video/mp4",
}
Stopping = Callable[[], bool]


def run_job(store: Store, settings: ServeSettings, job: Job, stopping: Stopping) -> dict[str, str]:
    """Run one claimed job; returns result label → blob hash."""
    from huafeng.serve.learn_job import run_learn

    runners = {"story": run_story, "video": run_video, "learn": run_learn}
    if job.kind not in runners:
        raise InputError(f"unknown job kind {job.kind!r}")
    return runners[job.kind](store, settings, job, stopping)


def run_story(store: Store, settings: ServeSettings, job: Job, stopping: Stopping) -> dict[str, str]:
    """Photos (+ captions) → strip PNG, GIF (and MP4 when asked) as blobs; a history entry."""
    p = job.params
    side = max(2 * int(p.get("panel_side", 480)), 1080)  # a 9:16 page's opening panel is ~1000 px wide
    photos = []
    for sha in job.inputs:
        found = store.blob(sha)
        if found is None:
            raise InputError("an input of this job is gone (deleted by retention?)")
        img = read_image(found[0].read_bytes(), max_pixels=settings.max_pixels)
        # One full-size photo in memory at a time: a panel never needs more than twice its side
        # (8 × 40 MP held at once cost ~1 GB that the allocator never gave back).
        photos.append(img.with_rgb(fit_side(img.rgb, side)))
        del img
    opts = StoryOptions(
        strength=float(p.get("strength", 1.0)),
        preserve_color=bool(p.get("preserve_color", False)),
        panel_side=int(p.get("panel_side", 480)),
        format=str(p.get("format", "strip")),
        title=p.get("title") or None,
        balloon=str(p.get("balloon", "auto")),
        threads=settings.threads_per_worker,
    )

    def progress(frac: float, message: str) -> None:
        if not stopping():
            store.update_job(job.id, progress=0.9 * frac, message=message)

    story = make_story(
        photos,
        p.get("captions") or None,
        job_style(p),
        opts,
        progress=progress,
    )
    store.update_job(job.id, progress=0.92, message="encoding")
    results = {
        "strip": store.put_blob(encode_image(story.strip, "PNG"), MIME["PNG"]),
        "gif": store.put_blob(encode_animation(story.frames, "GIF"), MIME["GIF"]),
    }
    if p.get("video"):
        results["mp4"] = store.put_blob(story_mp4(story), MIME["MP4"])
    store.add_history("story", p, results["strip"], None, keep=settings.max_history)
    return results


def run_video(store: Store, settings: ServeSettings, job: Job, stopping: Stopping) -> dict[str, str]:
    """Stylize a clip with temporal blending. The work folder is per job under the data dir,
    so a job re-queued by a restart resumes after its last finished chunk."""
    from huafeng.infer.video import StyleFrames, VideoOptions, stylize_video

    p = job.params
    found = store.blob(job.inputs[0])
    if found is None:
        raise InputError("the input of this job is gone (deleted by retention?)")
    info = job_style(p)
    opts = StylizeOptions(
        strength=float(p.get("strength", 1.0)),
        preserve_color=bool(p.get("preserve_color", False)),
        threads=settings.threads_per_worker,
    )
    work = settings.data_dir / "work" / job.id  # job ids are server-made uuids
    work.mkdir(parents=True, exist_ok=True)
    out = work / "result.mp4"

    def progress(done: int, total: int) -> None:
        if not stopping():
            store.update_job(job.id, progress=0.95 * done / max(total, 1), message=f"frame {done} of {total}")

    vopts = VideoOptions(temporal=bool(p.get("temporal", True)))
    stylize_video(
        found[0],
        out,
        StyleFrames(info, opts, vopts, settings.threads_per_worker),  # the CLI's streaming path
        job={"style": info.name, "model": style_ident(info), **p},
        opts=vopts,
        overwrite=True,
        progress=progress,
    )
    sha = store.put_blob(out.read_bytes(), MIME["MP4"])
    shutil.rmtree(work, ignore_errors=True)
    store.add_history("video", p, sha, None, keep=settings.max_history)
    return {"video": sha}


def job_style(params: dict[str, Any]) -> StyleInfo:
    """A job's style: its instant look (the style code read when it was queued) or a style name."""
    if params.get("style_code"):
        from huafeng.infer.instant import style_for_code

        info: StyleInfo = style_for_code(params["style_code"], name=str(params.get("style", "instant")))
        return info
    return resolve_style(params["style"], allow_paths=False)


def style_ident(info: StyleInfo) -> str:
    """What identifies a style's output: its name and, for models, the file's path, size and mtime."""
    if info.path is not None:
        st = Path(info.path).stat()
        return f"style:{info.name}:{info.path}:{st.st_size}:{st.st_mtime_ns}"
    return f"style:{info.name}:{json.dumps(list(info.filters))}"


def story_mp4(story: Any) -> bytes:
    from huafeng.story import write_story_video

    with tempfile.TemporaryDirectory(prefix="huafeng-story-") as d:
        path = Path(d) / "story.mp4"
        write_story_video(path, story)
        return path.read_bytes()
