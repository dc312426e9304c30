"""Front door for learning a look from a folder: read photos, fit, name, (refine), save."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from huafeng.errors import InputError
from huafeng.imageio import Image, list_images, read_image
from huafeng.looks.fit import FitCfg, fit_look
from huafeng.looks.look import Look
from huafeng.looks.reference import ReferenceStats, default_reference
from huafeng.looks.store import LookStore, check_name

MIN_PHOTOS = 5
MAX_PHOTOS = 50  # more adds little to a colour distribution and costs minutes with --refine
MAX_REFERENCE = 200


def read_photos(folder: str | os.PathLike[str], limit: int, what: str) -> tuple[list[Image], list[str]]:
    """Readable photos of ``folder`` (evenly thinned to ``limit``) and the names that were skipped."""
    p = Path(folder)
    if not p.is_dir():
        raise InputError(f"{p}: not a folder of photos")
    paths = list_images([p])
    if not paths:
        raise InputError(f"{p}: no images found ({what})")
    if len(paths) > limit:
        step = len(paths) / limit
        paths = [paths[int(i * step)] for i in range(limit)]
    images, skipped = [], []
    for path in paths:
        try:
            images.append(read_image(path))
        except InputError:
            skipped.append(path.name)  # one bad download must not sink the whole look
    return images, skipped


def learn_look(
    photos: str | os.PathLike[str],
    name: str,
    *,
    reference: str | os.PathLike[str] | None = None,
    cfg: FitCfg | None = None,
    refine: Callable[[Look, list[Image]], Path] | None = None,
) -> Look:
    """Fit the look of the photos in ``photos`` (5–50) against ``reference`` (folder) or the shipped one.

    ``refine`` (see :func:`huafeng.train.look_refine.refine_look`) trains the optional network
    and returns its ONNX path; it is injected so this module stays free of torch.
    """
    check_name(name)
    look_imgs, skipped = read_photos(photos, MAX_PHOTOS, "photos of the look")
    if len(look_imgs) < MIN_PHOTOS:
        raise InputError(
            f"{photos}: {len(look_imgs)} readable photos; learning a look needs at least {MIN_PHOTOS}"
        )
    ref: list[Image] | ReferenceStats
    if reference is not None:
        ref, _ = read_photos(reference, MAX_REFERENCE, "reference photos")
        if not ref:
            raise InputError(f"{reference}: no readable reference photos")
    else:
        ref = default_reference()
    fit = fit_look(ref, look_imgs, cfg)
    info = {
        "source": str(Path(photos).name),
        "reference": str(Path(reference).name) if reference is not None else "builtin",
        "skipped": skipped,
    }
    look = Look.from_fit(name, fit, info)
    if refine is not None:
        from dataclasses import replace

        look = replace(look, refine=refine(look, look_imgs))
    return look


def learn_and_save(
    photos: str | os.PathLike[str],
    name: str,
    *,
    store: LookStore | None = None,
    overwrite: bool = False,
    **kw: object,
) -> Look:
    """:func:`learn_look` then save; the name is checked for clashes *before* the work."""
    store = store or LookStore()
    if store.exists(name) and not overwrite:
        raise InputError(f"a look named {name!r} exists (pass --overwrite to replace it)")
    look = learn_look(photos, name, **kw)  # type: ignore[arg-type]
    store.save(look, overwrite=overwrite)
    return store.get(name)


def import_cube(
    path: str | os.PathLike[str], name: str, *, store: LookStore | None = None, overwrite: bool = False
) -> Look:
    """Make a ``.cube`` file a saved look (colour only: no grain, vignette or refinement)."""
    from huafeng.looks.lut import Lut3D, read_cube

    store = store or LookStore()
    check_name(name)
    lut = read_cube(path)
    look = Look(
        name,
        Lut3D(lut.table, lut.title or name, lut.domain_min, lut.domain_max),
        info={"source": Path(path).name, "imported": True},
    )
    store.save(look, overwrite=overwrite)
    return store.get(name)
