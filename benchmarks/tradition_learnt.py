"""Tradition styles learnt with ``learn-style`` from a coherent cluster of each tradition (issue 16).

    python benchmarks/tradition_learnt.py [--data ../shared/data] [--out /tmp/tradition_learnt]
        [--minutes 6] [--paintings 8] [--photos 48] [--keep 0.62] [--only ukiyoe,...]
    huafeng eval --content ../shared/data/content --protocol heldout --peer -o REPORT \\
        --styles "$(ls /tmp/tradition_learnt/*.onnx | tr '\\n' ,)ink_shanshui,huaniao,impressionism,ukiyoe"

Why: the shipped tradition models are one row of norm tables each, fitted to a whole collection, and
come out as the collection's pale average (docs/styles.md). ``learn-style`` on the arbitrary base
beats the peer on single paintings in 4 minutes (docs/learn_style.md). Here it learns from a
*cluster* of a tradition instead of the whole of it: the paintings whose arbitrary-network style
codes lie nearest the collection's medoid code (the issue's "cluster centres, not one bland mean").
The style code comes from the arbitrary network's own predictor, not from the grading backbone or the
tradition classifier, which stay out of training and of the choice of paintings.

Paintings and photos are training files only (the ``huafeng.splits`` hold-out excluded); the photos
also leave out near-duplicates of every held-out protocol photo. Each output's metadata names its
tradition folder, so ``huafeng eval`` grades it against that tradition's held-out paintings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
from tradition_codes import FOLDERS  # the four traditions the styles issue names (benchmarks/ is on the path)

REPO = Path(__file__).resolve().parents[1]
#: Traditions beyond the four, learnt only when asked for with ``--only``.
MORE = {"figure": "chinese_renwu_figure", "modern": "western_modern_expressionist"}


def training_files(data: Path, folder: str) -> list[Path]:
    """Files of ``data/folder`` outside the evaluation hold-out and large enough to learn from, sorted."""
    from huafeng.imageio import list_images, probe_image
    from huafeng.splits import is_heldout
    from huafeng.train.learn_style import MIN_SIDE

    return [
        f
        for f in list_images([data / folder])
        if not is_heldout(f"{folder}/{f.name}") and min(probe_image(f)[1]) >= MIN_SIDE
    ]


def cluster(files: list[Path], k: int) -> tuple[list[Path], int]:
    """The medoid painting (by arbitrary-network style code) and its ``k - 1`` nearest neighbours."""
    from huafeng.imageio import read_image
    from huafeng.models.arbitrary import predict_code

    codes = np.array([predict_code([read_image(f).rgb]) for f in files], np.float32)
    d = ((codes[:, None, :] - codes[None, :, :]) ** 2).sum(-1)
    medoid = int(np.argmin(d.sum(1)))
    order = np.argsort(d[medoid])[:k]
    return [files[i] for i in order], medoid


def inkiest(files: list[Path]) -> list[Path]:
    """The half of ``files`` with the lowest mean Lab chroma: ink (水墨) rather than coloured paintings."""
    from skimage.color import rgb2lab

    from huafeng.imageio import fit_side, read_image

    def chroma(f: Path) -> float:
        lab = rgb2lab(fit_side(read_image(f).rgb, 128))
        return float(np.hypot(lab[..., 1], lab[..., 2]).mean())

    c = np.array([chroma(f) for f in files])
    return [f for f, v in zip(files, c, strict=True) if v <= np.median(c)]


def training_photos(data: Path, n: int, start: int = 0) -> list[Path]:
    """``n`` training photos spread by path hash from position ``start``, none a near-duplicate of a
    held-out one (``start`` past the trained-on ones gives tuning photos: ``tradition_tuning.py``)."""
    from huafeng.data.photos import distinct
    from huafeng.imageio import list_images
    from huafeng.splits import file_hash, is_heldout

    files = list_images([data / "content"])
    held = [f for f in files if is_heldout(f"content/{f.name}")]
    train = sorted((f for f in files if f not in held), key=lambda f: file_hash(f"content/{f.name}"))
    return distinct(train[start : start + 3 * n], exclude=held)[:n]


def retag(path: Path, folder: str, paintings: list[Path], data: Path) -> None:
    """Name the tradition in the file's metadata and list the paintings' MANIFEST licences."""
    import onnx

    from huafeng.imageio import atomic_write_bytes
    from huafeng.train.cards import manifest_licences

    lic = sorted(manifest_licences(data / "MANIFEST.csv", paintings))
    m = onnx.load(str(path))
    props = {p.key: p for p in m.metadata_props}
    props["huafeng.tradition"].value = folder
    card = json.loads(props["huafeng.card"].value)  # every learn-style export carries one
    card |= {"paintings": [f"styles/{folder}/{p.name}" for p in paintings], "license": lic}
    props["huafeng.card"].value = json.dumps(card, ensure_ascii=False)
    props["huafeng.license"].value = "; ".join(lic) + "; photos: their MANIFEST licences (research use)"
    atomic_write_bytes(path, m.SerializeToString())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=Path("/tmp/tradition_learnt"))
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--paintings", type=int, default=8)
    ap.add_argument("--photos", type=int, default=48)
    ap.add_argument("--keep", type=float, default=None, help="SSIM target (learn-style --keep)")
    ap.add_argument("--ink", action="store_true", help="cluster among the less colourful half only")
    ap.add_argument(
        "--only", default="", help="traditions, comma-separated (default: the four; also figure, modern)"
    )
    ap.add_argument("--paintings-of", default="", help="relearn a shipped style from its own paintings")
    ap.add_argument("--critic", default="patch", help="learn-style critic: patch or projected")
    ap.add_argument(
        "--adversarial", type=float, default=None, help="critic weight (learn-style default 0.05)"
    )
    ap.add_argument(
        "--critic-all", action="store_true", help="the critic sees every training painting of the tradition"
    )
    ap.add_argument(
        "--negatives",
        default="",
        help="traditions the critic learns to call fake, e.g. figure (comma-separated)",
    )
    ap.add_argument(
        "--content-weight", type=float, default=None, help="where the steered content weight starts"
    )
    args = ap.parse_args()
    from huafeng.train.learn_cfg import LearnCfg

    args.out.mkdir(parents=True, exist_ok=True)
    photos = training_photos(args.data, args.photos)
    keep: dict[str, Any] = {} if args.keep is None else {"ssim_target": args.keep}
    if args.adversarial is not None:
        keep["adversarial"] = args.adversarial
    if args.content_weight is not None:
        keep["content_weight"] = args.content_weight
    negatives = [
        f
        for s in args.negatives.split(",")
        if s
        for f in training_files(args.data, f"styles/{(FOLDERS | MORE)[s]}")
    ]
    cfg = LearnCfg(
        minutes=args.minutes, critic=args.critic, critic_negatives=tuple(map(str, negatives)), **keep
    )
    if args.paintings_of:
        short, folder, chosen = paintings_of(args.paintings_of, args.data)
        print(f"{short}: the {len(chosen)} training paintings of the shipped {args.paintings_of}", flush=True)
        learn_one(short, folder, chosen, photos, cfg, args)
        return
    wanted = [s for s in args.only.split(",") if s] or list(FOLDERS)
    for short in wanted:
        folder = (FOLDERS | MORE)[short]
        every = training_files(args.data, f"styles/{folder}")
        files = inkiest(every) if args.ink else every
        chosen, medoid = cluster(files, args.paintings)
        print(f"{short}: {len(files)} training paintings, medoid {files[medoid].name}, cluster:", flush=True)
        print("  " + " ".join(p.name for p in chosen), flush=True)
        if args.critic_all:  # Gram from the cluster, the critic from the whole collection
            cfg = dataclasses.replace(cfg, critic_images=tuple(str(p) for p in every))
        learn_one(short, folder, chosen, photos, cfg, args)


def paintings_of(style: str, data: Path) -> tuple[str, str, list[Path]]:
    """A shipped style's own training paintings (its card), for relearning it with ``learn-style``."""
    from huafeng.imageio import list_images
    from huafeng.infer.styles import resolve_style

    info = resolve_style(style)
    # files, or a glob (great_wave: nst_wave*.jpg)
    entries = list_images([data / e for e in info.card["data"]["style"]["entries"]])
    folder = str(info.card["tradition"])
    keep = set(training_files(data, f"styles/{folder}"))
    return style, folder, [p for p in entries if p in keep]


def learn_one(short: str, folder: str, chosen: list[Path], photos: list[Path], cfg: Any, args: Any) -> None:
    """Learn ``chosen`` for ``cfg.minutes``; the file names its tradition, a JSON beside it what it saw."""
    from huafeng.train.learn_style import learn_style

    out = args.out / f"{short}_learnt.onnx"
    learn_style(chosen, name=f"{short}_learnt", cfg=cfg, output=out, photos=photos, overwrite=True,
                progress=False, work_dir=args.out / f"run_{short}", step=print)  # fmt: skip
    retag(out, folder, chosen, args.data)
    record = {"paintings": [str(p) for p in chosen], "photos": [str(p) for p in photos],
              "minutes": args.minutes, "keep": cfg.ssim_target, "critic": cfg.critic,
              "adversarial": cfg.adversarial, "critic_images": len(cfg.critic_images),
              "negatives": args.negatives, "critic_negatives": len(cfg.critic_negatives),
              "content_weight": cfg.content_weight}  # fmt: skip
    (args.out / f"{short}_learnt.json").write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
