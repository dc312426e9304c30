"""API v1 routes built on other parts of huafeng: phrases (``ask``), memes, stickers, looks.

Kept out of :mod:`huafeng.serve.api` so each file stays one concern. The same rules hold:
names only through registries/validated stores, decoding and rendering on the worker pool,
one-line JSON errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from huafeng.errors import InputError
from huafeng.imageio import encode_animation, encode_image
from huafeng.infer.engine import StylizeOptions
from huafeng.infer.styles import resolve_style
from huafeng.serve.api import FORMATS, StyleImage, one_style_source, parse_filters, service
from huafeng.serve.service import MIME, fit_side
from huafeng.serve.uploads import decode_upload

router = APIRouter(prefix="/api/v1")
MAX_TEXT = 120


@router.get("/ask", summary="How an everyday phrase is understood (style, filters, strength, colour)")
def ask(phrase: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    from huafeng.caption.ask import parse_ask

    parsed = parse_ask(phrase)
    return {**parsed.to_dict(), "warnings": parsed.warnings()}


@router.get("/looks", summary="Saved colour looks (learnt with `huafeng look learn`)")
def looks() -> list[dict[str, Any]]:
    from huafeng.looks import LookStore

    return LookStore().list()


def _style_or_none(style: str) -> str | None:
    return resolve_style(style, allow_paths=False).name if style.strip() else None


async def _style_source(style: str, style_image: UploadFile | None) -> tuple[str | None, bytes | None]:
    """``(style name or None, style picture bytes or None)``; both given is a 400 before the queue."""
    one_style_source(style, style_image)
    return _style_or_none(style), (await style_image.read() if style_image is not None else None)


def _style_ref(svc: Any, name: str | None, picture: bytes | None) -> Any:
    """What the caption renderers stylize with: the name, or the picture's instant style (on the
    worker: reading it decodes the upload; a non-picture is a 415 there)."""
    return name if picture is None else svc.instant_stylizer(picture).info


def _options(strength: float, preserve_color: bool, filters: str, threads: int) -> StylizeOptions:
    """The preview's settings, so a meme or sticker is exactly what the page showed."""
    return StylizeOptions(
        strength=strength, preserve_color=preserve_color, filters=parse_filters(filters), threads=threads
    )


@router.post(
    "/meme",
    summary="A meme: the picture (optionally stylized) with top/bottom or vertical captions",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def meme(
    request: Request,
    image: Annotated[UploadFile, File()],
    top: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    bottom: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    style: Annotated[str, Form(max_length=64, description="Empty = no style")] = "",
    vertical: Annotated[bool, Form(description="竖排: text in columns")] = False,
    painted: Annotated[bool, Form(description="Run the style over the text too")] = False,
    format: Annotated[str, Form()] = "jpeg",
    strength: Annotated[float, Form(ge=0.0, le=1.0)] = 1.0,
    preserve_color: Annotated[bool, Form()] = False,
    filters: Annotated[str, Form(max_length=500, description="Comma list, after the style")] = "",
    style_image: StyleImage = None,
) -> Response:
    from huafeng.caption.meme import render_meme

    svc = service(request)
    fmt = FORMATS.get(format.lower())
    if fmt is None:
        raise InputError(f"format must be one of jpeg, png, webp, got {format!r}")
    if not (top.strip() or bottom.strip()):
        raise InputError("give a top or a bottom text")
    name, picture = await _style_source(style, style_image)
    opts = _options(strength, preserve_color, filters, svc.settings.threads_per_worker)
    data = await image.read()
    side = svc.settings.max_output_side

    def work() -> bytes:
        img = decode_upload(data, "image", svc.settings.max_pixels)
        img = img.with_rgb(fit_side(img.rgb, side))
        ref = _style_ref(svc, name, picture)
        out = render_meme(
            img, top or None, bottom or None, style=ref, vertical=vertical, painted=painted, options=opts
        )
        return encode_image(out, fmt, quality=90)

    return Response(await svc.run(work), media_type=MIME[fmt])


@router.post(
    "/sticker",
    summary="An animated sticker: the picture with animated text (GIF or WebP)",
    responses={200: {"content": {"image/gif": {}, "image/webp": {}}}},
)
async def sticker(
    request: Request,
    image: Annotated[UploadFile, File()],
    text: Annotated[str, Form(min_length=1, max_length=MAX_TEXT)],
    anim: Annotated[str, Form(max_length=16)] = "pop",
    style: Annotated[str, Form(max_length=64, description="Empty = no style")] = "",
    fps: Annotated[int, Form(ge=4, le=24)] = 12,
    seconds: Annotated[float, Form(ge=0.5, le=6.0)] = 2.0,
    size: Annotated[int, Form(ge=64, le=768)] = 384,
    format: Annotated[str, Form(description="gif or webp")] = "gif",
    strength: Annotated[float, Form(ge=0.0, le=1.0)] = 1.0,
    preserve_color: Annotated[bool, Form()] = False,
    filters: Annotated[str, Form(max_length=500, description="Comma list, after the style")] = "",
    style_image: StyleImage = None,
) -> Response:
    from huafeng.caption.sticker import render_sticker

    svc = service(request)
    fmt = {"gif": "GIF", "webp": "WEBP"}.get(format.lower())
    if fmt is None:
        raise InputError(f"format must be gif or webp, got {format!r}")
    name, picture = await _style_source(style, style_image)
    opts = _options(strength, preserve_color, filters, svc.settings.threads_per_worker)
    data = await image.read()

    def work() -> bytes:
        img = decode_upload(data, "image", svc.settings.max_pixels)
        ref = _style_ref(svc, name, picture)
        animation = render_sticker(
            img, text, anim=anim, style=ref, fps=fps, seconds=seconds, size=size, options=opts
        )
        return encode_animation(animation.frames, fmt)

    return Response(await svc.run(work), media_type=MIME[fmt])
