"""Upload guards: a streaming body-size cap and image decoding that trusts content, not names.

* The size cap is an ASGI middleware that counts bytes as they arrive. ``Content-Length`` is
  checked first (cheap refusal), but chunked bodies have none and headers can lie, so the count
  is what actually stops a 10 GB upload before it reaches the multipart parser's temp files.
* Images are identified by Pillow from their bytes (:func:`huafeng.imageio.read_image`); the
  file name and the client's content type are ignored. The pixel count is checked from the
  header before decoding (decompression bombs), and only still-image formats are accepted.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huafeng.errors import ImageTooLargeError, InputError
from huafeng.imageio import READ_FORMATS, Image, read_image

#: Pillow format names accepted from clients: the same list the decoder is opened with.
ACCEPTED_FORMATS = frozenset({*READ_FORMATS, "MPO"})


class UploadError(InputError):
    """An upload the service will not take; ``status`` is the HTTP code to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def decode_upload(data: bytes, field: str, max_pixels: int) -> Image:
    """Decode an uploaded image or raise :class:`UploadError` with the right status."""
    if not data:
        raise UploadError(f"{field}: empty upload", 400)
    try:
        img = read_image(data, max_pixels=max_pixels)
    except ImageTooLargeError as e:
        raise UploadError(f"{field}: {_tail(e)}", 413) from None
    except InputError as e:
        msg = _tail(e)
        status = 415 if "not an image" in msg else 400
        raise UploadError(f"{field}: {msg}", status) from None
    if img.format not in ACCEPTED_FORMATS:
        raise UploadError(f"{field}: {img.format} images are not accepted", 415)
    return img


def check_upload(data: bytes, field: str, max_pixels: int) -> None:
    """Refuse an upload that :func:`decode_upload` would refuse, from its header only (format,
    size), so a request handler can check many large photos without decoding any of them; the job
    that uses them decodes them later, one at a time, on its own thread."""
    from huafeng.imageio import probe_image

    if not data:
        raise UploadError(f"{field}: empty upload", 400)
    try:
        fmt, _ = probe_image(data, max_pixels=max_pixels)
    except ImageTooLargeError as e:
        raise UploadError(f"{field}: {_tail(e)}", 413) from None
    except InputError as e:
        msg = _tail(e)
        raise UploadError(f"{field}: {msg}", 415 if "not an image" in msg else 400) from None
    if fmt not in ACCEPTED_FORMATS:
        raise UploadError(f"{field}: {fmt} images are not accepted", 415)


def _tail(e: Exception) -> str:
    """imageio prefixes messages with the source (``<bytes>: ...``); the field name replaces it."""
    msg = str(e)
    return msg.split(": ", 1)[1] if msg.startswith("<") and ": " in msg else msg


class BodyLimit:
    """ASGI middleware: 413 once a request body passes ``max_bytes``; 408 if it takes too long.

    uvicorn has no body-read timeout, so a client that trickles an upload (slowloris) would hold a
    connection and its handler forever; ``body_timeout_s`` bounds the whole body, not each chunk.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, body_timeout_s: float = 60.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > self.max_bytes:
                await _refuse(send, 413, self._too_large_msg())
                return
        seen = 0
        refused: tuple[int, str] | None = None
        answered = False
        body_done = False
        deadline = time.monotonic() + self.body_timeout_s

        async def limited_receive() -> Message:
            # Past a limit the app is told the client left: whatever the framework does with
            # that (FastAPI turns parse errors into 400s), tracking_send replaces its answer.
            nonlocal seen, refused, body_done
            if refused is not None:
                return {"type": "http.disconnect"}
            if body_done:
                return await receive()  # after the body: only disconnect notices, no deadline
            try:
                msg = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                refused = (408, f"request body not received within {self.body_timeout_s:g} s")
                return {"type": "http.disconnect"}
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                body_done = not msg.get("more_body", False)
                if seen > self.max_bytes:
                    refused = (413, self._too_large_msg())
                    return {"type": "http.disconnect"}
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal answered
            if refused is not None:
                if not answered:
                    answered = True
                    await _refuse(send, *refused)
                return
            answered = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if refused is None:
                raise
        if refused is not None and not answered:
            await _refuse(send, *refused)

    def _too_large_msg(self) -> str:
        return f"request body exceeds the limit of {self.max_bytes / 1048576:.1f} MiB"


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
