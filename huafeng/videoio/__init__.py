"""The only place that reads and writes video (PyAV, i.e. FFmpeg's libraries, no subprocess).

Frames cross this boundary as :class:`huafeng.imageio.Image` (``rgb`` ``(H, W, 3)`` ``uint8``
sRGB), the same convention as still images, so stylization code never knows it is in a video.

Why a module of its own: video has failure modes photos do not — files from phones carry a
rotation flag instead of rotated pixels, variable frame rates, audio in codecs an MP4 cannot
hold, odd sizes that yuv420p refuses, and truncated uploads that decode for a while and then
fail. Each is handled once here. Writes follow :mod:`huafeng.imageio`: a temp file in the
destination folder, ``os.replace`` on success, never over an existing file unless asked and
never over an input.

``av`` is an optional dependency (the ``video`` extra); it is imported lazily so the rest of
the package imports without it and a missing install produces one clear line.
"""

from huafeng.videoio._read import (
    DEFAULT_MAX_DURATION_S,
    DEFAULT_MAX_VIDEO_FRAMES,
    VideoInfo,
    as_rate,
    check_video_limits,
    probe_video,
    read_video_frames,
)
from huafeng.videoio._write import concat_videos, write_video

__all__ = [
    "DEFAULT_MAX_DURATION_S",
    "DEFAULT_MAX_VIDEO_FRAMES",
    "VideoInfo",
    "as_rate",
    "check_video_limits",
    "concat_videos",
    "probe_video",
    "read_video_frames",
    "write_video",
]
