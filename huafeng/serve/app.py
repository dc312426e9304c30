"""``create_app(settings) -> FastAPI``: the API, the page, health, metrics, and the guards around them.

Layers, outermost first: body-size cap (413 while streaming) → Host check (loopback binds
without a token answer only to loopback names, which stops DNS-rebinding pages from driving
the API) → metrics → token check on ``/api`` and ``/metrics`` → routes. Errors the client can
fix become one JSON line; anything else is logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from huafeng import __version__
from huafeng.errors import ImageTooLargeError, InputError
from huafeng.serve.api import router
from huafeng.serve.extras_api import router as extras_router
from huafeng.serve.jobs_api import router as jobs_router
from huafeng.serve.learn_api import router as learn_router
from huafeng.serve.pool import Busy
from huafeng.serve.service import Service, Timeout
from huafeng.serve.settings import ServeSettings
from huafeng.serve.uploads import BodyLimit, UploadError

log = logging.getLogger("huafeng.serve")
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
TOKEN_COOKIE = "huafeng_token"


def _token_dependency(token: str | None):  # type: ignore[no-untyped-def]
    async def check(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        given = (
            given[7:] if given.lower().startswith("bearer ") else request.headers.get("x-huafeng-token", "")
        )
        given = given or request.cookies.get(TOKEN_COOKIE, "")
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong API token", headers={"WWW-Authenticate": "Bearer"})

    return check


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    svc = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(
        title="huafeng",
        version=__version__,
        description="画风 huafeng: style transfer for social-media pictures. API v1.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.service = svc
    auth = [Depends(_token_dependency(settings.token))]
    app.include_router(router, dependencies=auth)
    app.include_router(extras_router, dependencies=auth)
    app.include_router(jobs_router, dependencies=auth)
    app.include_router(learn_router, dependencies=auth)

    @app.get("/healthz", summary="Liveness and load", tags=["ops"])
    def healthz() -> dict[str, object]:
        return svc.health()

    @app.get("/metrics", summary="Prometheus metrics", tags=["ops"], dependencies=auth)
    def metrics() -> Response:
        return svc.metrics.render()

    _errors(app, svc)
    app.middleware("http")(svc.metrics.middleware)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        # A page on another site can POST a multipart form here without any preflight; browsers
        # always send Origin on such requests, so a foreign Origin on a write is refused.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
                return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    if settings.token is None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_upload_bytes, body_timeout_s=settings.upload_timeout_s
    )
    static = resources.files("huafeng.serve").joinpath("static")
    app.mount("/", StaticFiles(directory=str(static), html=True), name="page")
    return app


def _errors(app: FastAPI, svc: Service) -> None:
    @app.exception_handler(UploadError)
    async def upload_error(request: Request, exc: UploadError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(ImageTooLargeError)
    async def too_large(request: Request, exc: ImageTooLargeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=413)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        svc.metrics.rejected.inc()
        return JSONResponse(
            {"detail": str(exc)}, status_code=503, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(Timeout)
    async def timeout(request: Request, exc: Timeout) -> JSONResponse:
        svc.metrics.rejected.inc()
        return JSONResponse(
            {"detail": f"the service is overloaded: {exc}"},
            status_code=503,
            headers={"Retry-After": str(svc.pool.retry_after())},
        )

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error (see the server log)"}, status_code=500)


def make_server(app: Any, host: str, port: int) -> Any:
    """uvicorn with one change: the service hears about SIGINT/SIGTERM when uvicorn does, not when
    the lifespan ends. uvicorn drains open connections first (up to 30 s), and open event streams
    would otherwise keep it waiting the whole time (32 streams: 52 s to stop, measured)."""
    import uvicorn

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            svc = getattr(app.state, "service", None)
            if svc is not None:
                svc.begin_shutdown()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=30)
    return _Server(config)


def run_server(app: Any, host: str, port: int) -> None:
    make_server(app, host, port).run()
