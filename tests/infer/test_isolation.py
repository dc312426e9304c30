"""Process-level guarantees, checked in fresh interpreters: no torch, lazy ORT, bounded tile memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import Models

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, *args: str, styles_dir: Path) -> dict[str, object]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HUAFENG_THREADS": "1"}
    env["HUAFENG_STYLES_DIR"] = str(styles_dir)  # never the developer's real style folder
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, cwd=REPO, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


NO_TORCH = """
import json, sys
import numpy as np
import huafeng.infer as hi
lazy = "onnxruntime" not in sys.modules
from huafeng.imageio import Image
img = Image(rgb=np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8))
a = hi.stylize_image(img, "watercolor")
b = hi.stylize_image(img, sys.argv[1], hi.StylizeOptions(strength=0.5, preserve_color=True))
names = [s.name for s in hi.list_styles()]
print(json.dumps({"torch": "torch" in sys.modules, "lazy_ort": lazy, "ok": a.size == b.size == img.size,
                  "n": len(names)}))
"""


def test_inference_never_imports_torch(models: Models, isolated_styles: dict[str, Path]) -> None:
    got = _run(NO_TORCH, str(models.conv), styles_dir=isolated_styles["user"])
    assert got == {"torch": False, "lazy_ort": True, "ok": True, "n": got["n"]}


BOUNDED = """
import json, resource, sys, tracemalloc
import numpy as np
from huafeng.infer import Stylizer, StylizeOptions
s = Stylizer(sys.argv[1])
h, w = 3264, 4928  # a 16 MP camera frame
rgb = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
s.stylize_array(rgb[:64, :64])  # warm up ORT so its one-off allocations are not counted
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
out = s.stylize_array(rgb, StylizeOptions())  # auto mode: tiles of 1024
peak = tracemalloc.get_traced_memory()[1]
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"shape": list(out.shape), "peak": peak, "rss_kib": grew, "pixels": h * w}))
"""


def test_tiled_16mp_memory_is_bounded(models: Models, isolated_styles: dict[str, Path]) -> None:
    got = _run(BOUNDED, str(models.conv), styles_dir=isolated_styles["user"])
    pixels = int(got["pixels"])  # type: ignore[call-overload]
    assert got["shape"] == [3264, 4928, 3]
    # Arrays: the float32 accumulator (12 B/px) and the uint8 result (3 B/px), plus one tile.
    assert int(got["peak"]) < pixels * 15 * 1.1  # type: ignore[call-overload]
    # The whole process, ORT included, grows by well under what a whole-image run needs (~1.8 GiB).
    assert int(got["rss_kib"]) * 1024 < 800 * 2**20  # type: ignore[call-overload]


REDUCED_16MP = """
import json, sys
import numpy as np
from huafeng.infer import Stylizer, StylizeOptions, upsample
calls = []
real = upsample.detail_upsample_u8
upsample.detail_upsample_u8 = lambda *a, **k: calls.append(1) or real(*a, **k)
h, w = 3264, 4928  # a 16 MP phone photo
y, x = np.mgrid[0:h, 0:w]
rgb = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1).astype(np.uint8)
st = Stylizer(sys.argv[1], threads=2)
for _ in range(2):  # a folder of them: ORT's arena would keep and grow the first one's buffers
    out = st.stylize_array(rgb, StylizeOptions(threads=2))
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"shape": list(out.shape), "reduced": len(calls), "hwm_kib": hwm}))
"""


def test_a_16mp_photo_takes_the_reduced_path_within_the_memory_bound(
    isolated_styles: dict[str, Path],
) -> None:
    """A shipped style on 16 MP photos renders at reduced size (2.3 s here instead of 18 s tiled at
    full size) and the whole process stays under the 1.5 GiB bound (measured ~1.0 GiB after two;
    1.9 GiB with ORT's memory arena)."""
    default = REPO / "huafeng" / "assets" / "styles" / "starry_night.onnx"
    got = _run(REDUCED_16MP, str(default), styles_dir=isolated_styles["user"])
    assert got["shape"] == [3264, 4928, 3] and got["reduced"] == 2
    assert int(got["hwm_kib"]) * 1024 < 1.5 * 2**30  # type: ignore[call-overload]
