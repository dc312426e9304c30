"""The REST API, version 1: a thin map from HTTP to :class:`~huafeng.serve.service.Service`.

Conventions: every error is JSON ``{"detail": "one readable line"}`` with a 4xx for anything the
client can fix (400 bad value, 404 unknown id, 413 too large, 415 not an image, 422 malformed
form) and 503 + ``Retry-After`` when the service is full. Names from clients are only ever
looked up in registries (``resolve_style(..., allow_paths=False)``) or validated ids; no request
value becomes a file path.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from huafeng.errors import InputError
from huafeng.infer.engine import StylizeOptions
from huafeng.infer.filters import list_filters
from huafeng.infer.styles import list_styles, resolve_style
from huafeng.infer.traditions import tradition_label, tradition_rank
from huafeng.serve.service import Result, Service
from huafeng.serve.store import INPUT_MIME, check_sha
from huafeng.serve.uploads import decode_upload
from huafeng.story import MAX_CAPTION_CHARS

_MAX_OFFSET = 10**9  # far past any history, far inside SQLite's signed 64-bit integers

router = APIRouter(prefix="/api/v1")
FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


#: The instant look (``style_image``): a picture to look like, its style code read at once, instead
#: of a style name. One form field for every route that takes a style (stylize, memes, stickers,
#: stories, videos).
StyleImage = Annotated[
    UploadFile | None,
    File(description="Instant: look like this picture (its style code, read at once) instead of a style"),
]


def one_style_source(style: str | None, style_image: UploadFile | None, unset: str = "") -> None:
    """A 400 when both a style name and a ``style_image`` are given. ``unset`` is the route's own
    default for ``style`` (jobs default to ``"default"``), which counts as not given."""
    if style_image is not None and (style or "").strip() not in ("", unset):
        raise InputError("give either style or style_image, not both")


def service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def parse_filters(text: str) -> tuple[str, ...]:
    names = tuple(f.strip() for f in text.split(",") if f.strip())
    if len(names) > 8:
        raise InputError("at most 8 filters")
    return names


class LookParams(BaseModel):
    """A saved look ("my looks"): everything the page needs to redo a result."""

    style: str = Field("default", max_length=64)
    strength: float = Field(1.0, ge=0.0, le=1.0)
    preserve_color: bool = False
    filters: list[str] = Field(default_factory=list, max_length=8)

    def check(self) -> LookParams:
        resolve_style(self.style, allow_paths=False)
        StylizeOptions(filters=tuple(self.filters))  # unknown filter → UnknownNameError
        return self


# -------------------------------------------------------------------------------- catalogue


@router.get("/styles", summary="Every style: shipped models, user styles, plugins and filter looks")
def get_styles() -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "tradition": s.tradition,
            "tradition_label": tradition_label(s.tradition),
            "tradition_rank": tradition_rank(s.tradition),
            "description": s.description,
            "license": s.license,
            "kind": s.kind,
            "source": s.source,
            "default": s.is_default,
            "sub_styles": list(s.style_names),
            "thumbnail": f"/api/v1/styles/{s.name}/thumbnail",
        }
        for s in list_styles()
    ]


@router.get("/filters", summary="Classic filters that can follow a style")
def get_filters() -> list[dict[str, str]]:
    return [
        {"name": f.name, "description": f.description, "thumbnail": f"/api/v1/filters/{f.name}/thumbnail"}
        for f in list_filters()
    ]


def _thumb(request: Request, kind: str, name: str) -> Response:
    try:
        data = service(request).thumbnail(kind, name)
    except InputError as e:
        raise HTTPException(404, str(e)) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/styles/{name}/thumbnail", summary="The shipped sample photo in this style (JPEG)")
def style_thumbnail(request: Request, name: str) -> Response:
    return _thumb(request, "style", name)


@router.get("/filters/{name}/thumbnail", summary="The shipped sample photo through this filter (JPEG)")
def filter_thumbnail(request: Request, name: str) -> Response:
    return _thumb(request, "filter", name)


# --------------------------------------------------------------------------------- stylize


@router.post(
    "/stylize",
    summary="Stylize one image; the response body is the result image",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def stylize(
    request: Request,
    image: Annotated[UploadFile, File(description="The photo (JPEG, PNG, WebP, HEIC, GIF, BMP, TIFF)")],
    style: Annotated[str | None, Form(max_length=64, description="Style name [default: default]")] = None,
    strength: Annotated[float | None, Form(ge=0.0, le=1.0, description="[default: 1]")] = None,
    preserve_color: Annotated[bool | None, Form(description="[default: false]")] = None,
    filters: Annotated[str, Form(max_length=400, description="Comma-separated filter names")] = "",
    ask: Annotated[
        str, Form(max_length=200, description="Everyday phrase (e.g. 水墨风，淡一点); explicit fields win")
    ] = "",
    look: Annotated[str, Form(max_length=64, description="A saved colour look applied after the style")] = "",
    look_strength: Annotated[float, Form(ge=0.0, le=1.0)] = 1.0,
    mask: Annotated[UploadFile | None, File(description="Greyscale mask: white = stylize")] = None,
    invert_mask: Annotated[bool, Form()] = False,
    mask_feather: Annotated[float, Form(ge=0.0, le=200.0)] = 8.0,
    max_size: Annotated[int | None, Form(ge=16, le=1_000_000)] = None,
    caption: Annotated[str, Form(max_length=MAX_CAPTION_CHARS)] = "",
    format: Annotated[str, Form(description="jpeg, png or webp (default: png with alpha, else jpeg)")] = "",
    save: Annotated[bool, Form(description="Keep the result in the history")] = False,
    style_image: StyleImage = None,
) -> Response:
    svc = service(request)
    one_style_source(style, style_image)
    fmt = None
    if format:
        fmt = FORMATS.get(format.lower())
        if fmt is None:
            raise InputError(f"format must be one of jpeg, png, webp, got {format!r}")
    limit = svc.settings.max_output_side
    # Everything cheap is checked here, before the queue; decoding happens on the worker so a
    # 50 MP upload never blocks the event loop that answers everyone else.
    opts = StylizeOptions(
        strength=1.0 if strength is None else strength,
        preserve_color=bool(preserve_color),
        filters=parse_filters(filters),
        invert_mask=invert_mask,
        mask_feather=mask_feather,
        max_size=min(max_size or limit, limit),
        threads=svc.settings.threads_per_worker,
    )
    notes: list[str] = []
    if ask.strip():
        style, opts, notes = _apply_ask(ask, style, opts, strength, preserve_color)
    stylizer = svc.stylizer(style or "default")  # unknown style → 400 before the queue
    look_obj = _look(look, look_strength, svc.settings.threads_per_worker) if look.strip() else None
    source = await image.read()
    mask_bytes = await mask.read() if mask is not None else None
    picture = await style_image.read() if style_image is not None else None
    params = {
        "style": stylizer.info.name if picture is None else "instant",
        "strength": strength,
        "preserve_color": preserve_color,
        "filters": list(opts.filters),
        "caption": caption,
        "ask": ask,
        "look": look,
    }

    def work() -> Result:
        img = decode_upload(source, "image", svc.settings.max_pixels)
        st = stylizer if picture is None else svc.instant_stylizer(picture)
        final = opts
        if mask_bytes is not None:
            mask_img = decode_upload(mask_bytes, "mask", svc.settings.max_pixels)
            final = replace(opts, mask=mask_img.rgb.mean(axis=2).astype("uint8"))
        cap = caption.strip() or None
        return svc.stylize(img, st, final, fmt=fmt, caption=cap, save=save, params=params, look=look_obj)

    result = await svc.run(work)
    headers = {"X-Huafeng-Seconds": f"{result.seconds:.3f}", "X-Huafeng-Style": str(params["style"])}
    if notes:  # JSON with \\u escapes: header values are Latin-1
        headers["X-Huafeng-Ask-Notes"] = json.dumps(notes)
    if result.history_id:
        headers["X-Huafeng-History-Id"] = result.history_id
    return Response(result.data, media_type=result.mime, headers=headers)


def _apply_ask(
    phrase: str, style: str | None, opts: StylizeOptions, strength: float | None, preserve: bool | None
) -> tuple[str | None, StylizeOptions, list[str]]:
    """Fold an ``ask`` phrase into the options; fields the client sent explicitly win (as in the CLI)."""
    from huafeng.caption.ask import parse_ask

    parsed = parse_ask(phrase)
    if style is not None:
        parsed = parsed.with_style(style)
    merged = parsed.merge(
        opts, strength=strength is not None, preserve_color=preserve is not None, filters=bool(opts.filters)
    )
    return parsed.style or style, merged, parsed.warnings()


def _look(name: str, strength: float, threads: int) -> Any:
    """A saved look by name only (``check_name`` refuses paths; ``.cube`` files are not offered)."""
    from huafeng.looks import ApplyOptions, LookStore, check_name

    return LookStore().get(check_name(name.strip())), ApplyOptions(strength=strength, threads=threads)


# --------------------------------------------------------------------------------- stories


# ------------------------------------------------------------------------------------ jobs


def _job_or_404(svc: Service, job_id: str) -> dict[str, Any]:
    job = svc.store.job(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job.public()


@router.get("/jobs", summary="Recent jobs, newest first")
def get_jobs(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    return [j.public() for j in service(request).store.jobs(limit)]


@router.get("/jobs/{job_id}", summary="A job's status, progress and results")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    return _job_or_404(service(request), job_id)


@router.get("/jobs/{job_id}/events", summary="Server-sent events: progress until the job ends")
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    svc = service(request)
    first = _job_or_404(svc, job_id)

    async def events() -> Any:
        last: dict[str, Any] | None = None
        state = first
        idle = 0.0
        while True:
            if state != last:
                yield f"event: progress\ndata: {json.dumps(state)}\n\n"
                last, idle = state, 0.0
            if state["status"] in ("done", "failed") or svc.stopping:
                return
            await asyncio.sleep(0.25)
            idle += 0.25
            if idle >= 10:
                yield ": keep-alive\n\n"
                idle = 0.0
            if await request.is_disconnected():
                return
            state = _job_or_404(svc, job_id)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


# ------------------------------------------------------------------------- history, presets


@router.get("/history", summary="Saved results, newest first")
def get_history(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    # Bounded here (422 with a message) so no integer reaches SQLite past its 64-bit range.
    return service(request).store.history(limit, offset)


@router.delete("/history/{entry_id}", status_code=204, summary="Forget a result")
def delete_history(request: Request, entry_id: str) -> Response:
    if not service(request).store.delete_history(entry_id):
        raise HTTPException(404, f"no history entry {entry_id!r}")
    return Response(status_code=204)


@router.get("/presets", summary='Saved looks ("my looks")')
def get_presets(request: Request) -> list[dict[str, Any]]:
    return service(request).store.presets()


@router.put("/presets/{name}", summary="Save or replace a look")
def put_preset(request: Request, name: str, look: LookParams) -> dict[str, Any]:
    service(request).store.put_preset(name, look.check().model_dump())
    return {"name": name.strip(), "params": look.model_dump()}


@router.delete("/presets/{name}", status_code=204, summary="Delete a look")
def delete_preset(request: Request, name: str) -> Response:
    if not service(request).store.delete_preset(name):
        raise HTTPException(404, f"no preset {name!r}")
    return Response(status_code=204)


# ----------------------------------------------------------------------------------- files


@router.get("/files/{sha}", summary="A stored result, by its SHA-256")
def get_file(request: Request, sha: str) -> FileResponse:
    try:
        found = service(request).store.blob(check_sha(sha))
    except InputError as e:
        raise HTTPException(404, str(e)) from None
    # Raw job inputs (stored as octet-stream for the job thread) are never served back: uploads
    # are not echoed; only results and re-encoded sources, stored with an image/video type, are.
    if found is None or found[1] == INPUT_MIME:
        raise HTTPException(404, "no such file (deleted by retention?)")
    path, mime = found
    return FileResponse(
        path, media_type=mime, headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )


__all__ = ["router"]
