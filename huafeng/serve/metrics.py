"""Prometheus metrics, one registry per app (so tests and several apps in a process never mix).

Labels use the route *template* (``/api/v1/jobs/{job_id}``), never the raw path: raw paths would
give one time series per job id and grow without bound.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from huafeng.serve.pool import WorkerPool
from huafeng.serve.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, pool: WorkerPool, store: Store) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "huafeng_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "huafeng_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.rejected = Counter("huafeng_rejected_total", "Requests refused with 503 (busy)", registry=r)
        self.stylize_seconds = Histogram(
            "huafeng_stylize_seconds", "Time in the engine per stylization", ["style"], registry=r
        )
        waiting = Gauge("huafeng_queue_waiting", "Tasks waiting for a worker", registry=r)
        waiting.set_function(lambda: pool.waiting)
        busy = Gauge("huafeng_workers_busy", "Workers running a task", registry=r)
        busy.set_function(lambda: pool.busy)
        queued = Gauge("huafeng_jobs_queued", "Long jobs waiting", registry=r)
        queued.set_function(lambda: store.count_jobs("queued"))

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        t0 = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = _route(request)
            self.requests.labels(_method(request.method), route, _status(status)).inc()
            self.latency.labels(route).observe(time.perf_counter() - t0)


#: Every label takes values from a known, small set: a client inventing methods (or, through a
#: proxy, status codes) must not add one time series per request.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _method(method: str) -> str:
    return method if method in _METHODS else "other"


def _status(status: int) -> str:
    return str(status) if 100 <= status <= 599 else "other"


def _route(request: Request) -> str:
    """The matched route's template; the router records it in the shared scope while routing."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    return "page" if route is not None else "unmatched"
