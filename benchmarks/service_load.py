"""Load test of ``huafeng serve`` on loopback: N concurrent clients for T seconds.

Starts the server as a child process (so its RSS is its own), drives ``POST /api/v1/stylize``
from N asyncio clients, each sending its next request as soon as the last one answered, and
reports p50/p95 latency of successful requests, throughput, status counts and the server's RSS
sampled once a second. Bounded: fixed client count and duration, loopback only.

    python benchmarks/service_load.py --clients 64 --seconds 60 --style default --size 256
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _photo(size: int) -> bytes:
    sys.path.insert(0, str(REPO))
    from huafeng.imageio import Image, encode_image, read_image, resize

    rgb = read_image(REPO / "huafeng/assets/samples/chelsea.jpg").rgb
    return encode_image(Image(rgb=resize(rgb, (size, size))), "JPEG", quality=90)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_warm(url: str, limit_s: float = 180) -> None:
    """Up, and done with its start-up warm-up (thumbnails, phrase dictionary): not measured."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).json().get("warmed_up"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server at {url} did not come up within {limit_s:g} s")


async def _client(url: str, body: bytes, style: str, until: float, out: list[tuple[int, float]]) -> None:
    async with httpx.AsyncClient(timeout=120) as c:
        while time.monotonic() < until:
            t0 = time.perf_counter()
            try:
                r = await c.post(
                    f"{url}/api/v1/stylize", files={"image": ("p.jpg", body)}, data={"style": style}
                )
                status = r.status_code
                if status == 503:  # honour Retry-After, as a well-behaved client would (capped)
                    await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), 2.0))
            except httpx.HTTPError:
                status = -1
            out.append((status, time.perf_counter() - t0))


async def _drive(url: str, body: bytes, style: str, clients: int, seconds: float, pid: int) -> dict[str, Any]:
    results: list[tuple[int, float]] = []
    rss: list[int] = []
    until = time.monotonic() + seconds
    stop = threading.Event()

    def sample() -> None:  # a thread, not a task: a saturated event loop must not skip samples
        while not stop.wait(1.0 if rss else 0.0):
            rss.append(_rss_kib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(url, body, style, until, results) for _ in range(clients)))
    stop.set()
    sampler.join()
    wall = time.perf_counter() - t0
    ok = np.array([t for s, t in results if s == 200])
    statuses = Counter(s for s, _ in results)
    steady = rss
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(results),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "ok_per_s": round(len(ok) / wall, 2),
        "p50_s": round(float(np.percentile(ok, 50)), 3) if len(ok) else None,
        "p95_s": round(float(np.percentile(ok, 95)), 3) if len(ok) else None,
        "rss_mib_first_last_min_max": [
            round(v / 1024, 1) for v in (steady[0], steady[-1], min(steady), max(steady))
        ],
        "rss_spread": round(max(steady) / min(steady) - 1, 4),
        "rss_mib_every_5s": [round(v / 1024, 1) for v in steady[::5]],
    }


def run_load(
    clients: int = 64,
    seconds: float = 60,
    style: str = "default",
    size: int = 256,
    workers: int = 2,
    queue: int = 8,
    warmup: float = 10,
) -> dict[str, Any]:
    port = _port()
    url = f"http://127.0.0.1:{port}"
    body = _photo(size)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory(prefix="huafeng-load-") as data:
        cmd = [
            sys.executable,
            "-m",
            "huafeng",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            data,
            "--workers",
            str(workers),
            "--queue-size",
            str(queue),
            "--threads",
            "1",
        ]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until_warm(url)
            # warm-up at full concurrency, not measured: sessions load, thread pools and malloc
            # arenas grow to their working size; what follows must then stay flat
            warm = asyncio.run(_drive(url, body, style, clients, warmup, proc.pid))
            report = asyncio.run(_drive(url, body, style, clients, seconds, proc.pid))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
    report.update(
        {
            "style": style,
            "image": f"{size}x{size} JPEG",
            "workers": workers,
            "queue": queue,
            "warmup_s": warmup,
            "warmup_status_counts": warm["status_counts"],
            "warmup_rss_mib_every_5s": warm["rss_mib_every_5s"],
        }
    )
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--style", default="default")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--warmup", type=float, default=10, help="Seconds of unmeasured load first.")
    ap.add_argument("--json-out", type=Path, help="Also write the report here.")
    a = ap.parse_args()
    report = run_load(a.clients, a.seconds, a.style, a.size, a.workers, a.queue, a.warmup)
    text = json.dumps(report, indent=2)
    print(text)
    if a.json_out:
        a.json_out.parent.mkdir(parents=True, exist_ok=True)
        a.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
