"""Synthetic shapes scenes: the domain of the bundled detector and of its tests.

The documented format: RGB 256x256, white or light-grey background, mild noise allowed, 0 to 6
filled shapes (`circle`, axis-aligned `square`, apex-up isosceles `triangle` whose base spans its
box), solid saturated colours, boxes 24-64 px, no two overlapping. The generator varies
everything the format leaves open (shade, noise, blur, JPEG, anti-aliasing, colour shade,
triangle height) so a detector trained on it does not learn one renderer's habits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle")

COLOURS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "red": ((255, 0, 0), (220, 30, 30), (200, 20, 40)),
    "green": ((0, 255, 0), (0, 128, 0), (30, 170, 50), (34, 139, 34)),
    "blue": ((0, 0, 255), (30, 60, 220), (0, 90, 200), (65, 105, 225)),
    "yellow": ((255, 255, 0), (240, 220, 20), (255, 215, 0)),
    "orange": ((255, 165, 0), (250, 140, 20), (255, 127, 0)),
    "purple": ((128, 0, 128), (140, 40, 170), (160, 32, 240), (148, 0, 211)),
}
"""Shades per colour name: pure web colours and a few others, each jittered when drawn."""

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Shape:
    """One drawn object; `box` is `[x1, y1, x2, y2]` in pixels, x2/y2 exclusive."""

    cls: str
    colour: str
    box: Box


@dataclass(frozen=True)
class Scene:
    image: Image.Image
    shapes: tuple[Shape, ...]

    def count(self, cls: str) -> int:
        return sum(s.cls == cls for s in self.shapes)


def _place_boxes(
    rng: np.random.Generator, n: int, size: int, min_side: int, max_side: int
) -> list[tuple[int, int, int, int]]:
    """Rejection-sample `n` non-overlapping boxes (fewer if the canvas fills up)."""
    boxes: list[tuple[int, int, int, int]] = []
    for _ in range(n):
        for _attempt in range(200):
            w = int(rng.integers(min_side, max_side + 1))
            h = w
            if rng.random() < 0.5:
                h = int(np.clip(round(w * rng.uniform(0.75, 1.15)), min_side, max_side))
            x1 = int(rng.integers(0, size - w + 1))
            y1 = int(rng.integers(0, size - h + 1))
            gap = 2
            if all(
                x1 + w + gap <= bx1 or bx2 + gap <= x1 or y1 + h + gap <= by1 or by2 + gap <= y1
                for bx1, by1, bx2, by2 in boxes
            ):
                boxes.append((x1, y1, x1 + w, y1 + h))
                break
    return boxes


def _draw(draw: ImageDraw.ImageDraw, cls: str, box: Box, fill: tuple[int, int, int]) -> None:
    x1, y1, x2, y2 = box
    if cls == "circle":
        draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=fill)
    elif cls == "square":
        draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=fill)
    else:
        draw.polygon([((x1 + x2 - 1) / 2, y1), (x2 - 1, y2 - 1), (x1, y2 - 1)], fill=fill)


def generate_scene(
    rng: np.random.Generator,
    *,
    size: int = 256,
    min_shapes: int = 0,
    max_shapes: int = 6,
    min_side: int = 24,
    max_side: int = 64,
) -> Scene:
    """One random scene of the documented format."""
    shade = int(rng.integers(205, 256))
    bg = tuple(int(np.clip(shade + rng.integers(-4, 5), 0, 255)) for _ in range(3))
    n = int(rng.integers(min_shapes, max_shapes + 1))
    boxes = _place_boxes(rng, n, size, min_side, max_side)

    scale = 4 if rng.random() < 0.5 else 1  # supersampled = anti-aliased edges
    canvas = Image.new("RGB", (size * scale, size * scale), bg)
    draw = ImageDraw.Draw(canvas)
    shapes: list[Shape] = []
    for x1, y1, x2, y2 in boxes:
        cls = SHAPE_CLASSES[int(rng.integers(len(SHAPE_CLASSES)))]
        if cls != "triangle":  # circles and squares have square boxes
            side = min(x2 - x1, y2 - y1)
            x2, y2 = x1 + side, y1 + side
        colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        shades = COLOURS[colour]
        base = shades[int(rng.integers(len(shades)))]
        fill = tuple(int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in base)
        box: Box = (float(x1), float(y1), float(x2), float(y2))
        _draw(draw, cls, tuple(v * scale for v in box), fill)  # type: ignore[arg-type]
        shapes.append(Shape(cls, colour, box))
    image = canvas.resize((size, size), Image.Resampling.LANCZOS) if scale > 1 else canvas

    if rng.random() < 0.25:
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.9))))
    if rng.random() < 0.7:
        pixels = np.asarray(image, dtype=np.float32)
        pixels += rng.normal(0.0, rng.uniform(1.0, 10.0), pixels.shape)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rng.random() < 0.25:
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=int(rng.integers(60, 96)))
        image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return Scene(image=image, shapes=tuple(shapes))


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
CaptionStyle = Literal["counts", "digits", "colours", "listing", "answer_tag", "table"]
CAPTION_STYLES: tuple[CaptionStyle, ...] = (
    "counts",
    "digits",
    "colours",
    "listing",
    "answer_tag",
    "table",
)


def _noun(cls: str, n: int) -> str:
    return cls if n == 1 else f"{cls}s"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def caption(counts: dict[tuple[str, str | None], int], style: CaptionStyle) -> str:
    """A caption stating `counts` per (class, colour or None) in one of several phrasings."""
    if not any(counts.values()) and style != "table":
        return "The image is empty: there are no shapes."
    if style == "counts":
        parts = [
            f"{_WORDS[n] if n < len(_WORDS) else n} {colour + ' ' if colour else ''}{_noun(c, n)}"
            for (c, colour), n in counts.items()
            if n > 0
        ]
        return f"There are {_join(parts)}."
    if style == "digits":
        by_class = _by_class(counts)
        parts = [f"{n} {_noun(c, n)}" if n else f"no {c}s" for c, n in by_class.items()]
        return f"The image shows {_join(parts)}."
    if style == "colours":
        parts = []
        for (c, colour), n in counts.items():
            article = "a" if n == 1 else _WORDS[n] if n < len(_WORDS) else str(n)
            parts.append(f"{article} {colour + ' ' if colour else ''}{_noun(c, n)}")
        return f"I can see {_join(parts)} on a light background."
    if style == "listing":
        items = []
        for (c, colour), n in counts.items():
            items.extend([f"a {colour + ' ' if colour else ''}{c}"] * n)
        return f"In this picture: {_join(items)}."
    if style == "answer_tag":
        by_class = _by_class(counts)
        parts = [f"{n} {_noun(c, n)}" for c, n in by_class.items() if n]
        return (
            "<think>Let me look at each shape in turn and count them.</think>"
            f"<answer>{_join(parts)}</answer>"
        )
    return ", ".join(f"{c.capitalize()}s: {n}" for c, n in _by_class(counts).items())


def _by_class(counts: dict[tuple[str, str | None], int]) -> dict[str, int]:
    """Every shape class with its count, whatever the colours."""
    by_class = dict.fromkeys(SHAPE_CLASSES, 0)
    for (c, _colour), n in counts.items():
        by_class[c] += n
    return by_class


def true_counts(scene: Scene, *, colours: bool) -> dict[tuple[str, str | None], int]:
    counts: dict[tuple[str, str | None], int] = {}
    for s in scene.shapes:
        key = (s.cls, s.colour if colours else None)
        counts[key] = counts.get(key, 0) + 1
    return counts


def hallucinated_counts(
    scene: Scene, rng: np.random.Generator, *, colours: bool
) -> dict[tuple[str, str | None], int]:
    """The true counts plus one shape that is not there (a new class, colour, or one too many)."""
    counts = true_counts(scene, colours=colours)
    cls = SHAPE_CLASSES[int(rng.integers(len(SHAPE_CLASSES)))]
    colour = list(COLOURS)[int(rng.integers(len(COLOURS)))] if colours else None
    counts[(cls, colour)] = counts.get((cls, colour), 0) + 1
    return counts


def miscounted_counts(
    scene: Scene, rng: np.random.Generator, *, colours: bool
) -> dict[tuple[str, str | None], int]:
    """The true counts with one present class off by one (up or down)."""
    counts = true_counts(scene, colours=colours)
    keys = sorted(counts, key=str)
    key = keys[int(rng.integers(len(keys)))]
    counts[key] += -1 if counts[key] > 1 and rng.random() < 0.5 else 1
    return counts
