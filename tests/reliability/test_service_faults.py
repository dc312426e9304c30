"""The web service against hostile uploads and names, a crashing worker, slow clients and a soak.

Loopback only, bounded in count and time. The quick versions run by default; ``-m reliability``
runs the longer soak and slowloris variants (``make reliability``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from fastapi.testclient import TestClient

from huafeng.imageio import Image, encode_image
from huafeng.serve.app import create_app
from huafeng.serve.settings import ServeSettings
from tests.reliability.cases import image_cases
from tests.reliability.conftest import Recorder, assert_one_line
from tests.reliability.corpus import Case
from tests.reliability.test_hostile_cli import HOSTILE_NAMES

CASES = image_cases()
CLEAN = {200, 400, 404, 405, 413, 415, 422}


def _settings(tmp: Path, **kw: Any) -> ServeSettings:
    base: dict[str, Any] = {"data_dir": tmp, "workers": 1, "queue_size": 4, "max_upload_bytes": 4 * 2**20}
    return ServeSettings(**{**base, **kw})


def _photo(w: int = 48, h: int = 32, seed: int = 0) -> bytes:
    rgb = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    return encode_image(Image(rgb=rgb), "PNG")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(_settings(tmp_path_factory.mktemp("serve")))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_upload(case: Case, client: TestClient, record: Recorder) -> None:
    """Content decides, names and content types do not; every refusal is a 4xx with one line."""
    files = {"image": (f"evil{case.filename}", case.make(), "text/html")}
    t0 = time.perf_counter()
    r = client.post("/api/v1/stylize", files=files, data={"style": "bw", "format": "png"})
    dt = time.perf_counter() - t0
    assert r.status_code in CLEAN, (r.status_code, r.text[:300])
    if r.status_code != 200:
        assert_one_line(r.json()["detail"], limit=600)
    if case.expect == "ok" and case.group not in ("animated",):
        assert r.status_code == 200, r.text[:300]
    if case.expect == "error":
        assert r.status_code != 200
    record(
        "serve",
        case.id,
        "ok" if r.status_code == 200 else "error",
        dt,
        group=case.group,
        status=r.status_code,
    )


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[f"name{i}" for i in range(len(HOSTILE_NAMES))])
def test_hostile_style_names_over_http(name: str, client: TestClient, record: Recorder) -> None:
    r = client.post(
        "/api/v1/stylize", files={"image": ("a.png", _photo(), "image/png")}, data={"style": name}
    )
    if name == "":  # an empty field means the default style
        assert r.status_code == 200
        return
    assert r.status_code in (400, 422), (name, r.status_code, r.text[:200])
    record("serve", f"style:{name[:40]!r}", "error", 0.0, status=r.status_code)


TRAVERSALS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%5C..%5Cwindows%5Cwin.ini",
    "%00",
    "a" * 3000,
    "%252e%252e%252fetc%252fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS, ids=[f"t{i}" for i in range(len(TRAVERSALS))])
def test_path_traversal_in_urls(path: str, client: TestClient, record: Recorder) -> None:
    passwd = Path("/etc/passwd").read_bytes()[:20]
    for url, method in (
        (f"/api/v1/files/{path}", "GET"),
        (f"/api/v1/styles/{path}/thumbnail", "GET"),
        (f"/api/v1/filters/{path}/thumbnail", "GET"),
        (f"/api/v1/presets/{path}", "PUT"),
        (f"/api/v1/presets/{path}", "DELETE"),
        (f"/api/v1/jobs/{path}", "GET"),
        (f"/api/v1/history/{path}", "DELETE"),
    ):
        body = {"style": "sepia", "strength": 0.5} if method == "PUT" else None
        r = client.request(method, url, json=body)
        assert r.status_code in CLEAN - {200}, (url, method, r.status_code)
        assert passwd not in r.content
    record("serve", f"traversal:{path[:30]}", "error", 0.0)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("exc", [RuntimeError("boom"), MemoryError(), ValueError("bad state")], ids=str)
def test_worker_crash_is_reported_and_service_continues(
    exc: BaseException,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    record: Recorder,
) -> None:
    app = create_app(_settings(tmp_path))
    # as a real server answers: the exception becomes the app's 500, not a test-side raise
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        svc = app.state.service
        real = svc.stylize
        calls = {"n": 0}

        def crash_once(*a: Any, **k: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise exc
            return real(*a, **k)

        monkeypatch.setattr(svc, "stylize", crash_once)
        files = {"image": ("a.png", _photo(), "image/png")}
        r1 = c.post("/api/v1/stylize", files=files, data={"style": "bw"})
        assert r1.status_code == 500 and "internal error" in r1.json()["detail"]
        assert type(exc).__name__ in caplog.text or "boom" in caplog.text or caplog.records, "not logged"
        r2 = c.post("/api/v1/stylize", files=files, data={"style": "bw"})
        assert r2.status_code == 200
        assert c.get("/healthz").status_code == 200
    record("serve", f"worker crash ({type(exc).__name__}) then next request", "ok", 0.0)


# ------------------------------------------------------------------------------ real server


@pytest.fixture
def live(tmp_path: Path) -> Iterator[str]:
    from tests.serve.live import live_server

    with live_server(_settings(tmp_path, workers=2, queue_size=8, request_timeout_s=10.0)) as url:
        yield url


def _slowloris(port: int, n: int, stop: threading.Event, closed: list[float]) -> list[threading.Thread]:
    """``n`` uploads that declare 10 MB and send one byte every 0.5 s."""

    def one() -> None:
        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        try:
            s.sendall(
                b"POST /api/v1/stylize HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 3000000\r\n\r\n--zz\r\n"
            )
            while not stop.is_set():
                s.sendall(b"a")
                time.sleep(0.5)
        except OSError:
            closed.append(time.monotonic() - t0)  # the server hung up on us
        finally:
            s.close()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def _slow_clients(url: str, n_slow: int, seconds: float, record: Recorder) -> None:
    port = int(url.rsplit(":", 1)[1])
    stop, closed = threading.Event(), []  # type: ignore[var-annotated]
    threads = _slowloris(port, n_slow, stop, closed)
    time.sleep(1.0)
    lat, codes = [], []
    deadline = time.monotonic() + seconds
    photo = _photo(64, 48)
    with httpx.Client(base_url=url, timeout=30) as c:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            r = c.post(
                "/api/v1/stylize", files={"image": ("a.png", photo, "image/png")}, data={"style": "bw"}
            )
            lat.append(time.perf_counter() - t0)
            codes.append(r.status_code)
    stop.set()
    for t in threads:
        t.join(5)
    p95 = float(np.percentile(lat, 95))
    record(
        "load",
        f"{n_slow} slowloris uploads + 1 normal client, {seconds:.0f} s",
        "ok" if set(codes) == {200} else "errors",
        seconds,
        clients=n_slow + 1,
        requests=len(codes),
        errors=sum(c != 200 for c in codes),
        p95_s=round(p95, 3),
        slow_closed_by_server=len(closed),
    )
    assert set(codes) == {200}, codes
    assert p95 < 5.0, f"normal requests starved: p95 {p95:.2f} s"


@pytest.mark.timeout(120)
def test_slow_clients_do_not_starve_others(live: str, record: Recorder) -> None:
    _slow_clients(live, n_slow=20, seconds=4.0, record=record)


@pytest.mark.slow
@pytest.mark.reliability
@pytest.mark.timeout(600)
def test_slow_clients_do_not_starve_others_long(live: str, record: Recorder) -> None:
    _slow_clients(live, n_slow=100, seconds=60.0, record=record)


def _soak(url: str, requests: int, record: Recorder) -> None:
    """Sequential mixed requests; RSS sampled after a warm-up must stay flat."""
    photos = [_photo(64 + 8 * i, 48, seed=i) for i in range(4)]
    styles = ["bw", "default", "sepia", "default"]
    samples: list[float] = []
    lat: list[float] = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for i in range(requests):
            t0 = time.perf_counter()
            r = c.post(
                "/api/v1/stylize",
                files={"image": ("a.png", photos[i % 4], "image/png")},
                data={"style": styles[i % 4], "save": "true" if i % 10 == 0 else "false"},
            )
            lat.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text[:200]
            if i % max(1, requests // 10) == 0:
                samples.append(_rss_mb())
    warm = samples[2:] or samples
    growth = (max(warm) - warm[0]) / warm[0]
    record(
        "soak",
        f"{requests} sequential requests",
        "ok" if growth < 0.15 else "grew",
        sum(lat),
        requests=requests,
        rss_start_mb=round(warm[0], 1),
        rss_end_mb=round(warm[-1], 1),
        rss_max_mb=round(max(warm), 1),
        growth=round(growth, 3),
        p95_s=round(float(np.percentile(lat, 95)), 3),
    )
    assert growth < 0.15, f"RSS grew {growth:.0%} after warm-up: {samples}"


@pytest.mark.timeout(180)
def test_memory_flat_short_soak(live: str, record: Recorder) -> None:
    _soak(live, 80, record)


@pytest.mark.slow
@pytest.mark.reliability
@pytest.mark.timeout(1200)
def test_memory_flat_long_soak(live: str, record: Recorder) -> None:
    _soak(live, 2000, record)


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[f"name{i}" for i in range(len(HOSTILE_NAMES))])
def test_hostile_look_names(name: str, tmp_path: Path, client: TestClient, record: Recorder) -> None:
    """Looks are named by strangers over HTTP and by users on the CLI: names only, never paths."""
    from huafeng.errors import InputError
    from huafeng.looks import LookStore, check_name

    if name.strip():
        with pytest.raises(InputError):
            LookStore(tmp_path / "looks").get(check_name(name))
        files = {"image": ("a.png", _photo(), "image/png")}
        r = client.post("/api/v1/stylize", files=files, data={"style": "bw", "look": name})
        assert r.status_code in (400, 404, 422), (name, r.status_code)
        record("names", f"look:{name[:40]!r}", "error", 0.0, status=r.status_code)


@pytest.mark.timeout(60)
def test_slow_upload_is_cut_off_with_408(tmp_path: Path) -> None:
    """uvicorn has no body-read deadline; BodyLimit's ``upload_timeout_s`` is what ends a slow drip."""
    from tests.serve.live import live_server

    with live_server(_settings(tmp_path, workers=1, queue_size=4, upload_timeout_s=1.5)) as url:
        port = int(url.rsplit(":", 1)[1])
        s = socket.create_connection(("127.0.0.1", port), timeout=0.3)
        t0, reply = time.monotonic(), b""
        try:
            s.sendall(
                b"POST /api/v1/stylize HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 3000000\r\n\r\n--zz\r\n"
            )
            while time.monotonic() - t0 < 20 and b"\r\n\r\n" not in reply:
                try:
                    s.sendall(b"a")
                    reply += s.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
        finally:
            s.close()
        waited = time.monotonic() - t0
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert waited < 10, f"the slow upload held the connection for {waited:.1f} s"
