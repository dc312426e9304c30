"""Colloquial text on pictures: fonts, layout, placement, animation (memes, stickers, subtitles).

Torch-free by contract: captions are drawn on the inference path.
"""
