"""Memes: a picture (optionally stylized) with a top and/or bottom caption, or vertical 竖排 text."""

from __future__ import annotations

from typing import Any

import numpy as np

from huafeng.caption import layout as L
from huafeng.caption.compose import Region, caption_masks, composite, plan_caption
from huafeng.caption.place import Scene
from huafeng.errors import InputError
from huafeng.imageio import Image


def stylized(
    img: Image, style: Any, *, threads: int | None = None, options: Any = None
) -> tuple[Image, object]:
    """``(picture, stylizer)``: the picture in ``style`` (unchanged and ``None`` when no style).

    ``style``: a style name or a :class:`~huafeng.infer.styles.StyleInfo` (e.g. an instant look).

    ``options``: the :class:`~huafeng.infer.engine.StylizeOptions` to use (strength, colours,
    filters), so a meme made from a preview is that preview.
    """
    if style is None:
        return img, None
    from huafeng.infer.engine import StylizeOptions, Stylizer

    st = Stylizer(style, threads=threads)
    return st.stylize(img, options or StylizeOptions(threads=threads)), st


def render_meme(
    img: Image,
    top: str | None = None,
    bottom: str | None = None,
    *,
    style: Any = None,
    vertical: bool = False,
    painted: bool = False,
    at: tuple[int, int] | None = None,
    options: Any = None,
) -> Image:
    """The meme as a new :class:`Image`; ``info["caption_notes"]`` lists anything dropped or odd.

    ``top`` goes in the upper half and ``bottom`` in the lower half, each placed off faces and
    salient areas; with ``vertical`` the texts are set in columns (top text on the right, as read
    first). ``at`` pins the top text's top-left corner to a pixel instead (explicit placement).
    ``painted`` runs the style model over the text too (needs ``style``).
    """
    first: Region = at if at is not None else "top"
    texts = [(t, r) for t, r in ((top, first), (bottom, "bottom")) if t is not None and t.strip()]
    if not texts:
        raise InputError("the caption text is empty: give a top or a bottom text")
    if painted and style is None:
        raise InputError("painted text needs a style (--style) to paint it with")
    base, stylizer = stylized(img, style, options=options)
    rgb = base.rgb
    scene = Scene.analyse(rgb, photo=img.rgb)
    spec = L.TextSpec(vertical=vertical)
    out = rgb
    outline_all = np.zeros(rgb.shape[:2], np.float32)
    notes: list[str] = []
    for text, region in texts:
        where = "auto" if vertical and isinstance(region, str) else region
        cap = plan_caption(out, text, region=where, spec=spec, scene=scene)
        fill, outline, color = caption_masks(cap, base.size)
        out = composite(out, fill, outline, cap.colors, shadow_px=cap.block.size * 0.05, color=color)
        outline_all = np.maximum(outline_all, outline)
        notes.extend(cap.notes)
        if vertical:  # the second column block must not land on the first
            x, y, w, h = cap.box
            scene = Scene((*scene.faces, (x, y, w, h)), scene.saliency, scene.busy)
    if painted:
        from huafeng.caption.painted import paint_text

        out = paint_text(rgb, out, outline_all, stylizer)  # type: ignore[arg-type]
    res = base.with_rgb(out)
    if res.alpha is not None:  # text over transparent areas must not vanish
        res.alpha = np.maximum(res.alpha, (outline_all * 255 + 0.5).astype(np.uint8))
    res.info = {**base.info, "caption_notes": notes}
    return res
