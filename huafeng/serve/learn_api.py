"""API v1 route for "Use my own style": upload pictures, get a job that learns a style from them.

The job runs ``huafeng learn-style`` in a child process (:mod:`huafeng.serve.learn_job`); its
progress arrives on the usual ``/jobs/{id}/events`` stream and the new style then appears in
``/styles`` (it is written into the user styles folder, which the listing reads).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from huafeng.errors import InputError
from huafeng.serve.api import service
from huafeng.serve.learn_job import can_learn, check_learn_name
from huafeng.serve.uploads import UploadError, decode_upload

router = APIRouter(prefix="/api/v1")
#: Smaller pictures carry too little texture to learn from (the command refuses them too).
MIN_SIDE = 128


@router.post("/styles/learn", status_code=202, summary="Learn a new style from your own pictures (a job)")
async def learn_style(
    request: Request,
    images: Annotated[list[UploadFile], File(description="1 or more paintings, photos or screenshots")],
    name: Annotated[str, Form(min_length=1, max_length=64, description="The new style's name")],
    minutes: Annotated[float | None, Form(ge=0.05, le=10.0, description="Training budget")] = None,
) -> dict[str, Any]:
    svc = service(request)
    if not can_learn():
        raise HTTPException(501, "learning a style needs PyTorch on the server: pip install 'huafeng[train]'")
    limit = svc.settings.max_learn_images
    if not 1 <= len(images) <= limit:
        raise InputError(f"a style is learnt from 1 to {limit} pictures, got {len(images)}")
    style = check_learn_name(name, svc.store)
    datas = []
    for i, f in enumerate(images):
        data = await f.read()
        img = await run_in_threadpool(decode_upload, data, f"images[{i}]", svc.settings.max_pixels)
        if min(img.size) < MIN_SIDE:
            raise UploadError(
                f"images[{i}]: {img.size[0]}x{img.size[1]} is too small (at least {MIN_SIDE} px a side)"
            )
        datas.append(data)
    params = {"style": style, "minutes": float(minutes or svc.settings.learn_minutes)}
    return svc.submit_learn(datas, params).public()
