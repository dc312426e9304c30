"""Make the page's Chinese web font: a subset of the packaged Noto Sans CJK SC, as WOFF.

Why: on a machine without CJK fonts (many Linux installs, headless browsers) every Chinese word on
the page showed as a box. The caption extra already ships Noto Sans CJK (``manimgx-fonts-cjk``,
OFL-1.1), but as a 33 MB variable collection that browsers cannot load and that takes minutes of
fontTools time to subset — too slow to do when a server starts. So the subset is made once, here,
and shipped in ``huafeng/serve/static/fonts/`` (the OFL allows redistribution with the licence,
see NOTICE). Kept: ASCII, Latin-1, general punctuation, CJK symbols and kana, full-width forms and
the 6,763 hanzi of GB 2312 (everyday written Chinese); the page's ``@font-face`` names it after
the system fonts with a ``unicode-range``, so a browser with CJK fonts never fetches it.

    python scripts/make_webfont.py [-o huafeng/serve/static/fonts/noto-sans-sc-subset.woff]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

OUT = (
    Path(__file__).resolve().parents[1]
    / "huafeng"
    / "serve"
    / "static"
    / "fonts"
    / "noto-sans-sc-subset.woff"
)


def characters() -> set[int]:
    keep = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    keep |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3100)) | set(range(0xFF00, 0xFFF0))
    for hi in range(0xB0, 0xF8):  # GB 2312 hanzi, levels 1 and 2 (rows 16-87)
        for lo in range(0xA1, 0xFF):
            try:
                keep.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return keep


def build(dest: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from huafeng.caption.fonts import EXTRA_HINT, _find

    src = _find("manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc")
    if src is None:
        raise SystemExit(EXTRA_HINT)
    font = TTFont(str(src), fontNumber=2, lazy=True)  # face 2 = Simplified Chinese, as for captions
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["kern", "palt"]  # horizontal page text; no vertical or locale forms
    opts.name_IDs = ["*"]  # keep the copyright and licence records (OFL)
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=characters())
    sub.subset(font)
    font.flavor = "woff"  # the subsetter's option only applies to its own command line
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    font.save(str(tmp))
    os.replace(tmp, dest)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    build(args.output)
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size / 1e6:.2f} MB, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
