"""Contact sheet for story snippets (docs/captions.md): three stories on held-out photos.

Each story mixes photos with and without faces, Chinese and English captions with emoji, and a
title, in a different style and format, so caption boxes, speech balloons, colour emoji, crops
and the palette can be judged at once. The photos come from the evaluation hold-out
(``huafeng.splits``), never tuned on.

    python scripts/story_sheet.py --data ../shared/data -o docs/img/story_pages.jpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from huafeng import imageio
from huafeng.splits import is_heldout
from huafeng.story import StoryOptions, make_story

STORIES = [
    (
        "ink_shanshui",
        "9:16",
        "山里的一天 · A day in the hills",
        ["清晨出发 ⛰️", "你看这是谁？😂", "一起吃饭吧 🍜", "回家啦 🌙", "明天再来！"],
    ),
    (
        "starry_night",
        "1:1",
        "City nights",
        ["city lights, big dreams ✨", "谁在笑？🤣", "下雨了 ☔ but we stayed", "goodnight 🌃"],
    ),
    ("ukiyoe", "strip", "周末 Weekend", ["出去走走吧 🌊", "hi there 👋", "好可爱 🐱"]),
]


def pick(data: Path, folder: str, n: int, skip: int) -> list[Path]:
    files = sorted(p for p in (data / folder).iterdir() if p.suffix.lower() in (".jpg", ".png"))
    held = [p for p in files if is_heldout(f"{folder}/{p.name}")]
    return held[skip : skip + n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("-o", "--output", type=Path, default=Path("docs/img/story_pages.jpg"))
    a = ap.parse_args()
    pages = []
    for k, (style, fmt, title, caps) in enumerate(STORIES):
        scenes = pick(a.data, "content", len(caps) - 1, 7 * k + 3)
        face = pick(a.data, "faces", 1, 5 * k + 2)
        paths = [scenes[0], face[0], *scenes[1:]]
        photos = [imageio.read_image(p) for p in paths]
        story = make_story(
            photos, caps, style, StoryOptions(format=fmt, title=title, width=720, panel_side=320)
        )
        print(style, fmt, [p.name for p in paths], story.notes)
        pages.append(story.strip.rgb)
    h = 900
    scaled = [imageio.resize(p, (round(p.shape[1] * h / p.shape[0]), h)) for p in pages]
    gap = np.full((h, 24, 3), 255, np.uint8)
    row = np.concatenate([x for p in scaled for x in (p, gap)][:-1], axis=1)
    imageio.write_image(a.output, imageio.Image(rgb=row), overwrite=True)
    print(a.output)


if __name__ == "__main__":
    main()
