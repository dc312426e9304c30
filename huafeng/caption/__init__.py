"""Colloquial text on pictures: fonts, layout, placement, animation (memes, stickers, subtitles).

Torch-free by contract: captions are drawn on the inference path.

The pipeline, one concern per module (see docs/captions.md):

- ``text``     cleaning (controls, zero-width, bidi, length) and kinsoku line breaking
- ``fonts``    the fallback chain over bundled Noto faces, split by ``cmap`` coverage
- ``layout``   horizontal / vertical (竖排) layout, auto-fit, rasterised fill + outline masks
- ``place``    faces (Haar), spectral-residual saliency, busyness → the best box
- ``palette``  k-means in Lab, WCAG contrast-checked fill / outline
- ``compose``  plan a caption once, draw it cheaply per frame (scale, angle, offset, opacity)
- ``painted``  run the style model over the text and re-blend inside the text mask
- ``meme``, ``sticker``, ``subs`` + ``subtitle``, ``annotate``: the four commands' libraries
- ``ask``      everyday phrases → stylize options (``--ask``)
"""
