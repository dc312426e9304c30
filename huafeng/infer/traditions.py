"""Readable names of the traditions styles belong to, in Chinese and English.

Why: a style's ``tradition`` is the data folder it was learnt from (``japanese_ukiyoe_and_edo``),
an identifier that reads badly as a heading ("Japanese Ukiyoe And Edo"). The page and listings
show these names instead; an unknown tradition (a plugin's, a user's) falls back to its id.
"""

from __future__ import annotations

TRADITIONS: dict[str, tuple[str, str]] = {
    "chinese_shanshui_landscape": ("山水画", "Chinese landscape (shanshui)"),
    "chinese_huaniao_flower_bird": ("花鸟画", "Chinese flower-and-bird"),
    "chinese_renwu_figure": ("人物画", "Chinese figure painting"),
    "japanese_ukiyoe_and_edo": ("浮世绘与江户绘画", "Ukiyo-e and Edo painting"),
    "european_impressionism_postimpressionism": ("印象派", "Impressionism and post-impressionism"),
    "sketch_vangogh_drawings": ("梵高素描", "Van Gogh's drawings"),
    "south_asian_persian_tibetan_korean": ("唐卡与亚洲传统", "Thangka and other Asian traditions"),
    "western_modern_expressionist": ("西方现代绘画", "Western modern and expressionist"),
    "multi": ("多风格混合", "Mixable: many styles in one model"),
    "classic filter": ("经典滤镜", "Classic filters"),
    "user": ("我的风格", "Your own styles"),
}


def tradition_rank(tradition: str) -> int:
    """Where a tradition's group goes in a gallery: the order of :data:`TRADITIONS`, unknown ones last."""
    order = list(TRADITIONS)
    return order.index(tradition) if tradition in TRADITIONS else len(order)


def tradition_label(tradition: str) -> str:
    """``"浮世绘与江户绘画 · Ukiyo-e and Edo painting"``, or the id made readable when unknown."""
    if tradition in TRADITIONS:
        zh, en = TRADITIONS[tradition]
        return f"{zh} · {en}"
    return tradition.replace("_", " ").strip() or "other"
