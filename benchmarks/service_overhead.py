"""Service overhead: one 512² JPEG through ``POST /api/v1/stylize`` vs the engine called directly.

Both sides use one ONNX Runtime thread; the server (a child process, 1 worker) and the direct
calls alternate request by request, so a busy machine slows both alike. Reported: medians of
(a) the engine alone on a decoded image, (b) decode + engine + JPEG encode in-process (what any
caller must do with a file) and (c) the HTTP round trip on a kept-alive connection, and the
overhead of (c) over (a) and over (b). Target: ≤10 % over (a).

    python benchmarks/service_overhead.py --style default --size 512 --reps 30
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.service_load import _photo, _port, wait_until_warm  # noqa: E402
from huafeng.imageio import encode_image, read_image  # noqa: E402
from huafeng.infer import StylizeOptions, Stylizer  # noqa: E402


def run(style: str = "default", size: int = 512, reps: int = 30) -> dict[str, Any]:
    body = _photo(size)
    stylizer = Stylizer(style, threads=1)
    opts = StylizeOptions(threads=1)
    img = read_image(body)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    engine, inproc, http = [], [], []
    with tempfile.TemporaryDirectory(prefix="huafeng-bench-") as data:
        cmd = [sys.executable, "-m", "huafeng", "serve", "--port", str(port), "--data-dir", data]
        cmd += ["--workers", "1", "--threads", "1"]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(timeout=60) as c:
                wait_until_warm(url)
                form = {"style": style, "format": "jpeg"}
                for i in range(reps + 3):  # 3 warm-up rounds, not counted
                    t0 = time.perf_counter()
                    stylizer.stylize(img, opts)
                    t1 = time.perf_counter()
                    encode_image(stylizer.stylize(read_image(body), opts), "JPEG", quality=90)
                    t2 = time.perf_counter()
                    r = c.post(f"{url}/api/v1/stylize", files={"image": ("p.jpg", body)}, data=form)
                    t3 = time.perf_counter()
                    assert r.status_code == 200, r.text
                    if i >= 3:
                        engine.append(t1 - t0)
                        inproc.append(t2 - t1)
                        http.append(t3 - t2)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
    e, p, h = (float(np.median(x)) for x in (engine, inproc, http))
    return {
        "style": stylizer.info.name,
        "image": f"{size}x{size} JPEG",
        "reps": reps,
        "engine_median_s": round(e, 4),
        "decode_engine_encode_median_s": round(p, 4),
        "http_median_s": round(h, 4),
        "overhead_vs_engine": round(h / e - 1, 4),
        "overhead_vs_decode_engine_encode": round(h / p - 1, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--style", default="default")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--json-out", type=Path)
    a = ap.parse_args()
    text = json.dumps(run(a.style, a.size, a.reps), indent=2)
    print(text)
    if a.json_out:
        a.json_out.parent.mkdir(parents=True, exist_ok=True)
        a.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
