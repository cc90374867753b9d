"""Name the colour of a flat-coloured object from the pixels inside its box.

Only saturated pixels vote (the white or grey background does not), and they vote by hue, which
survives noise, shading and JPEG better than RGB distance.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mmreward.grounding.claims import Box

# Upper hue bound (degrees) of each family, in order; red wraps around 360.
HUE_FAMILIES: tuple[tuple[float, str], ...] = (
    (15.0, "red"),
    (45.0, "orange"),
    (75.0, "yellow"),
    (165.0, "green"),
    (255.0, "blue"),
    (335.0, "purple"),
    (360.0, "red"),
)
_MIN_SATURATION = 0.35
_MIN_VALUE = 0.2
_MIN_PIXELS = 4


def hue_family(hue_degrees: float) -> str:
    for bound, name in HUE_FAMILIES:
        if hue_degrees < bound:
            return name
    return "red"


def box_colour(pixels: NDArray[np.uint8], box: Box) -> str | None:
    """Colour family of the object in `box` of an RGB array, None when nothing is saturated.

    Samples the middle of the box, lower half weighted in, so that a triangle's empty upper
    corners (background) do not dominate.
    """
    height, width = pixels.shape[:2]
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    left, right = int(max(0, x1 + 0.3 * w)), int(min(width, x2 - 0.3 * w))
    top, bottom = int(max(0, y1 + 0.4 * h)), int(min(height, y2 - 0.15 * h))
    if right - left < 1 or bottom - top < 1:
        return None
    patch = pixels[top:bottom, left:right].reshape(-1, 3).astype(np.float32) / 255.0
    high, low = patch.max(axis=1), patch.min(axis=1)
    chroma = high - low
    saturation = np.where(high > 0, chroma / np.maximum(high, 1e-6), 0.0)
    keep = (saturation >= _MIN_SATURATION) & (high >= _MIN_VALUE)
    if int(keep.sum()) < _MIN_PIXELS:
        return None
    r, g, b = patch[keep, 0], patch[keep, 1], patch[keep, 2]
    c = chroma[keep]
    hue = np.where(
        high[keep] == r,
        ((g - b) / c) % 6.0,
        np.where(high[keep] == g, (b - r) / c + 2.0, (r - g) / c + 4.0),
    )
    angles = hue * (np.pi / 3.0)
    mean = np.degrees(np.arctan2(np.sin(angles).mean(), np.cos(angles).mean())) % 360.0
    return hue_family(float(mean))
