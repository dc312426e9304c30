"""API v1 routes that queue long jobs: stories and videos (their progress is on ``/jobs``).

Kept out of :mod:`huafeng.serve.api` so each file stays one concern. A job may be made in the
instant look (``style_image``): the picture's style code is read when the job is queued, on the
worker pool, and kept in the job's params, so the job (and its resume after a restart) needs no
extra upload.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from huafeng.errors import InputError
from huafeng.infer.styles import resolve_style
from huafeng.serve.api import StyleImage, one_style_source, service
from huafeng.serve.uploads import UploadError, check_upload
from huafeng.story import MAX_CAPTION_CHARS, MAX_TITLE_CHARS

router = APIRouter(prefix="/api/v1")


async def _style_source(
    svc: Any, style: str, style_image: UploadFile | None
) -> tuple[str, list[float] | None]:
    """``(style name, None)``, or ``("instant", the picture's style code)`` read now on the pool (a
    non-picture is a 415 before anything is queued)."""
    if style_image is None:
        return resolve_style(style, allow_paths=False).name, None
    one_style_source(style, style_image, unset="default")
    picture = await style_image.read()

    code = await svc.run(lambda: svc.instant_code(picture))
    return "instant", [round(float(c), 6) for c in code]


def _style_params(name: str, code: list[float] | None) -> dict[str, Any]:
    return {"style": name} if code is None else {"style": name, "style_code": code}


@router.post("/stories", status_code=202, summary="Queue a story: photos → styled strip (PNG) + GIF (+ MP4)")
async def create_story(
    request: Request,
    photos: Annotated[list[UploadFile], File(description="2 or more photos, in story order")],
    captions: Annotated[list[str] | None, Form(description="One caption per photo (may be empty)")] = None,
    style: Annotated[str, Form(max_length=64)] = "default",
    strength: Annotated[float, Form(ge=0.0, le=1.0)] = 1.0,
    preserve_color: Annotated[bool, Form()] = False,
    video: Annotated[bool, Form(description="Also make an MP4")] = False,
    page_format: Annotated[
        Literal["9:16", "1:1", "strip"], Form(alias="format", description="9:16 story, 1:1 post or strip")
    ] = "9:16",
    title: Annotated[str, Form(max_length=MAX_TITLE_CHARS, description="Title across the top")] = "",
    balloon: Annotated[
        Literal["auto", "box", "bubble"], Form(description="Caption boxes or speech balloons")
    ] = "auto",
    style_image: StyleImage = None,
) -> dict[str, Any]:
    svc = service(request)
    if not 1 <= len(photos) <= svc.settings.max_story_photos:
        raise InputError(f"a story takes 1 to {svc.settings.max_story_photos} photos, got {len(photos)}")
    caps = [c.strip() for c in (captions or [])]
    if len(caps) > len(photos):
        raise InputError(f"{len(caps)} captions for {len(photos)} photos")
    if any(len(c) > MAX_CAPTION_CHARS for c in caps):
        raise InputError(f"captions are at most {MAX_CAPTION_CHARS} characters")
    name, code = await _style_source(svc, style, style_image)
    datas = []
    for i, p in enumerate(photos):
        data = await p.read()
        # refuse now, not in the job — from the header, off the event loop, decoding no pixels
        await run_in_threadpool(check_upload, data, f"photos[{i}]", svc.settings.max_pixels)
        datas.append(data)
    params = {
        **_style_params(name, code),
        "strength": strength,
        "preserve_color": preserve_color,
        "captions": caps,
        "video": video,
        "format": page_format,
        "title": title.strip() or None,
        "balloon": balloon,
    }
    job = svc.submit_story(datas, params)
    return job.public()


@router.post("/videos", status_code=202, summary="Queue a video: a short clip → stylized MP4 (audio kept)")
async def create_video(
    request: Request,
    video: Annotated[UploadFile, File(description="MP4/MOV/WebM/GIF clip, checked by content")],
    style: Annotated[str, Form(max_length=64)] = "default",
    strength: Annotated[float, Form(ge=0.0, le=1.0)] = 1.0,
    preserve_color: Annotated[bool, Form()] = False,
    temporal: Annotated[bool, Form(description="Carry texture along the motion (less flicker)")] = True,
    style_image: StyleImage = None,
) -> dict[str, Any]:
    svc = service(request)
    name, code = await _style_source(svc, style, style_image)
    data = await video.read()
    if not data:
        raise UploadError("video: empty upload", 400)
    probe = await run_in_threadpool(svc.check_video, data)
    params = {
        **_style_params(name, code),
        "strength": strength,
        "preserve_color": preserve_color,
        "temporal": temporal,
        "source": probe,
    }
    return svc.submit_job("video", [data], params).public()
