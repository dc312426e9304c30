"""Story snippets: photos (+ captions and a title) → one styled comic page and an animation.

``pages`` lays out the page (9:16, 1:1 or a strip) and crops each photo to its cell; ``balloons``
draws caption boxes, speech balloons and the title with the caption package's text renderer;
``make`` stylizes, matches tones and puts it together. This package sits above ``caption`` and
``infer`` and below ``serve`` and the command line.
"""

from huafeng.story.make import (
    MAX_CAPTION_CHARS,
    MAX_PANELS,
    MAX_TITLE_CHARS,
    Story,
    StoryOptions,
    make_story,
    write_story,
    write_story_video,
)

__all__ = [
    "MAX_CAPTION_CHARS",
    "MAX_PANELS",
    "MAX_TITLE_CHARS",
    "Story",
    "StoryOptions",
    "make_story",
    "write_story",
    "write_story_video",
]
