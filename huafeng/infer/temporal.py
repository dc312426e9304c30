"""Flicker reduction for video: carry the previous output forward along the input's motion.

Per-frame stylization flickers: a feed-forward generator paints slightly different texture on
every frame because the pixels differ slightly (noise, compression, sub-pixel motion). We carry
the previous *output* forward along the input's motion and blend it in where the motion is
trustworthy (the feed-forward blending of Ruder, Dosovitskiy & Brox, "Artistic style transfer
for videos", GCPR 2016, without their per-frame optimisation):

    warped_t = out_{t-1} sampled at p + B_t(p)        (B_t: DIS flow of input t → input t-1)
    m_t      = forward-backward consistent ∧ inside ∧ input colour agrees after warping
    out_t    = stylize(in_t) + blend · m_t · (warped_t − stylize(in_t))

``blend`` trades flicker against softness and ghosting (0 = per-frame, 1 = frozen texture).
Averaging renderings softens the brush texture, so the detail is then scaled back to the
current frame's local contrast (``keep_contrast``). Where the flow fails (occlusions, cuts,
fast motion) the mask is 0 and the frame is simply stylized on its own.

:class:`Blender` works at whatever resolution it is given. The style path of ``huafeng video``
gives it the network's own small rendering (the texture that flickers lives there, and the flow
and blend cost a tenth of what they cost at 720p); the photo's detail is added back afterwards
from the current frame, which cannot flicker. Other frame functions (looks) are blended at
full size. Measured figures: docs/looks_and_video.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from huafeng.infer.flow import dis_flow, reliable_mask, warp

_MEAN3 = np.full((1, 3), 1 / 3, np.float32)


@dataclass(frozen=True)
class BlendSettings:
    blend: float = 0.7  # weight of the warped previous output where the flow is reliable
    color_tolerance: float = 0.08  # input mismatch after warping (0..1) above which a pixel is unreliable
    feather: float = 2.0  # Gaussian sigma (px) softening the reliability mask
    keep_contrast: bool = True  # restore the texture contrast blending averages away
    flow: str = "medium"  # DIS preset (huafeng.infer.flow.DIS_PRESETS)


def _channel_mean(x: np.ndarray) -> np.ndarray:
    """``x.mean(axis=2)`` in one OpenCV pass (numpy's axis-2 reduction is ~5x slower here)."""
    return np.asarray(cv2.transform(x, _MEAN3), np.float32)


def _motion(cur_in: np.ndarray, prev_in: np.ndarray, s: BlendSettings) -> tuple[np.ndarray, np.ndarray]:
    """(backward flow, reliability mask in [0, 1]) between two uint8 inputs."""
    back, fwd = dis_flow(cur_in, prev_in, preset=s.flow), dis_flow(prev_in, cur_in, preset=s.flow)
    mask = reliable_mask(back, fwd).astype(np.float32)
    warped_in, _ = warp(prev_in, back)
    diff = cv2.absdiff(warped_in, cur_in)
    mask *= np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2]) <= s.color_tolerance * 255
    if s.feather > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), s.feather) * mask  # soft edges, no leak into holes
    return back, mask


def _to_size(back: np.ndarray, mask: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    if back.shape[:2] == (h, w):
        return back, mask
    sy, sx = h / back.shape[0], w / back.shape[1]
    back = np.asarray(cv2.resize(back, (w, h)), np.float32) * np.array([sx, sy], np.float32)
    return back, np.asarray(cv2.resize(mask, (w, h)), np.float32)


def _warped_previous(prev_out: np.ndarray, back: np.ndarray, h: int, w: int) -> np.ndarray:
    prev = prev_out
    if prev.shape[:2] != (h, w):  # a stylizer that resizes (max_size) keeps one size for all frames
        prev = cv2.resize(prev, (w, h), interpolation=cv2.INTER_AREA)
    warped, _ = warp(prev.astype(np.float32, copy=False), back)
    return warped


def blend_previous(
    styled: np.ndarray,
    prev_out: np.ndarray,
    cur_in: np.ndarray,
    prev_in: np.ndarray,
    s: BlendSettings,
) -> np.ndarray:
    """This frame's float32 stylization (0..255) with the previous output blended in along the flow.

    ``cur_in``/``prev_in`` are the uint8 inputs; they may be smaller than ``styled`` (the flow
    and mask are then resized up), and ``prev_out`` is resized to ``styled`` if a stylizer
    changed the size.
    """
    h, w = styled.shape[:2]
    back, mask = _to_size(*_motion(cur_in, prev_in, s), h, w)
    warped = _warped_previous(prev_out, back, h, w)
    out = styled + (s.blend * mask)[..., None] * (warped - styled)
    return match_local_contrast(out, styled) if s.keep_contrast else out


def match_local_contrast(out: np.ndarray, ref: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """Give ``out`` the local texture contrast of ``ref`` (gain clipped to 1..1.6); both 0..255.

    Averaging two renderings whose brush texture is not identical lowers the texture's contrast
    (two independent textures averaged 50/50 keep 71 % of it), so blended video looks softer than
    any single frame. Scaling the detail (image minus its Gaussian mean) back up to the current
    frame's local standard deviation restores the look; the gain changes slowly, so it adds
    little flicker back.
    """

    def mean(x: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(x, (0, 0), sigma), np.float32)

    m_out, m_ref = mean(out), mean(ref)
    d_out, d_ref = out - m_out, ref - m_ref
    var_out = mean(_channel_mean(d_out * d_out))
    var_ref = mean(_channel_mean(d_ref * d_ref))
    gain = np.clip(np.sqrt((var_ref + 1.0) / (var_out + 1.0)), 1.0, 1.6)
    return np.asarray(m_out + d_out * gain[..., None], np.float32)


class Blender:
    """The running state of flicker reduction: the previous input and output, one frame at a time."""

    def __init__(self, settings: BlendSettings) -> None:
        self.settings = settings
        self.prev_in: np.ndarray | None = None
        self.prev_out: np.ndarray | None = None

    def _has_previous(self, cur_in: np.ndarray) -> bool:
        return self.prev_in is not None and self.prev_out is not None and self.prev_in.shape == cur_in.shape

    def step(self, styled: np.ndarray, cur_in: np.ndarray) -> np.ndarray:
        """Blend ``styled`` (float32 0..255) for input ``cur_in`` (uint8) and remember both."""
        out = styled
        if self._has_previous(cur_in):
            assert self.prev_out is not None and self.prev_in is not None
            out = blend_previous(styled, self.prev_out, cur_in, self.prev_in, self.settings)
        self.prev_in, self.prev_out = cur_in, out
        return out

    def carry(self, cur_in: np.ndarray, min_reliable: float) -> np.ndarray | None:
        """The previous output moved along the flow to ``cur_in``, or None if the motion is not
        trusted on at least ``min_reliable`` of the frame (a cut, fast motion, much revealed).

        Lets video skip the network on in-between frames: the style layer follows the scene and
        the caller adds the current frame's own detail, so edges stay where they are now.
        """
        if not self._has_previous(cur_in):
            return None
        assert self.prev_out is not None and self.prev_in is not None
        back, mask = _motion(cur_in, self.prev_in, self.settings)
        if float(mask.mean()) < min_reliable:
            return None
        h, w = self.prev_out.shape[:2]
        back, _ = _to_size(back, mask, h, w)
        out = _warped_previous(self.prev_out, back, h, w)
        self.prev_in, self.prev_out = cur_in, out
        return out

    def state(self) -> dict[str, np.ndarray]:
        """What a resumed run needs to continue exactly (saved at each committed chunk)."""
        if self.prev_in is None or self.prev_out is None:
            return {}
        return {"prev_in": self.prev_in.copy(), "prev_out": np.asarray(self.prev_out, np.float32).copy()}

    def restore(self, state: dict[str, np.ndarray]) -> None:
        self.prev_in = state.get("prev_in")
        self.prev_out = state.get("prev_out")
