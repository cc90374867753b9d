"""Ground truth a request may carry instead of (or besides) the detector's view.

Accepted `reference` shapes, boxes always `[x1, y1, x2, y2]` in original-image pixels:
- an integer: the expected count (task `count`);
- a mapping label -> count: `{"circle": 2, "square": 0}`;
- one box, or a list of boxes and/or objects `{"label": "circle", "box": [...], "colour": "red"}`
  (an empty list says the image holds none of the objects).
Labels go through the vocabulary, so "circles" or "people" name their classes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from mmreward.grounding.claims import Box
from mmreward.grounding.rewards import Observed
from mmreward.grounding.vocab import ANY_OBJECT, Vocabulary

MAX_REFERENCE_OBJECTS = 1000
MAX_REFERENCE_COUNT = 10_000


class BadReferenceError(ValueError):
    """A reference that cannot be read; the verdict is `unparsable_reference`."""


def reference_count(reference: Any) -> int | None:
    """The expected count when the reference is a bare integer."""
    if isinstance(reference, bool) or not isinstance(reference, int):
        return None
    if not 0 <= reference <= MAX_REFERENCE_COUNT:
        raise BadReferenceError(f"reference count {reference} out of range")
    return reference


def reference_objects(reference: Any, vocab: Vocabulary) -> list[Observed] | None:
    """The objects a reference lists; None when it lists none (no reference, or a bare count)."""
    if reference is None or reference_count(reference) is not None:
        return None
    if isinstance(reference, Mapping):
        if "box" in reference or "label" in reference:
            return [_object(reference, vocab)]
        return _from_counts(reference, vocab)
    if isinstance(reference, Sequence) and not isinstance(reference, str | bytes):
        if _is_box(reference):
            return [Observed(ANY_OBJECT, _box(reference))]
        if len(reference) > MAX_REFERENCE_OBJECTS:
            raise BadReferenceError(f"more than {MAX_REFERENCE_OBJECTS} reference objects")
        return [_object(entry, vocab) for entry in reference]
    raise BadReferenceError("reference must be a count, a label->count mapping, boxes or objects")


def _from_counts(counts: Mapping[Any, Any], vocab: Vocabulary) -> list[Observed]:
    objects: list[Observed] = []
    for label, count in counts.items():
        cls = _label(label, vocab)
        if isinstance(count, bool) or not isinstance(count, int):
            raise BadReferenceError(f"count of {label!r} must be an integer")
        if not 0 <= count <= MAX_REFERENCE_COUNT or len(objects) + count > MAX_REFERENCE_OBJECTS:
            raise BadReferenceError(f"count of {label!r} out of range")
        objects.extend(Observed(cls) for _ in range(count))
    return objects


def _object(entry: Any, vocab: Vocabulary) -> Observed:
    if _is_box(entry):
        return Observed(ANY_OBJECT, _box(entry))
    if not isinstance(entry, Mapping):
        raise BadReferenceError("each reference object must be a box or {label, box, colour}")
    unknown = set(entry) - {"label", "box", "colour", "color"}
    if unknown:
        raise BadReferenceError(f"unknown reference keys {sorted(unknown)}")
    cls = _label(entry["label"], vocab) if "label" in entry else ANY_OBJECT
    box = _box(entry["box"]) if "box" in entry else None
    colour = entry.get("colour", entry.get("color"))
    if colour is not None:
        if not isinstance(colour, str) or colour.lower() not in vocab.colours:
            raise BadReferenceError(f"unknown colour {colour!r}")
        colour = vocab.colours[colour.lower()]
    return Observed(cls, box, colour)


def _label(label: Any, vocab: Vocabulary) -> str:
    if not isinstance(label, str):
        raise BadReferenceError("labels must be strings")
    form = " ".join(label.lower().replace("-", " ").replace("_", " ").split())
    if form in vocab.forms:
        return vocab.forms[form]
    if label in vocab.classes:
        return label
    raise BadReferenceError(f"unknown label {label!r}; the detector knows {list(vocab.classes)}")


def _is_box(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str | bytes)
        and len(value) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _box(value: Any) -> Box:
    if not _is_box(value):
        raise BadReferenceError("a box is [x1, y1, x2, y2]")
    x1, y1, x2, y2 = (float(v) for v in value)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or x2 <= x1 or y2 <= y1:
        raise BadReferenceError(f"bad box {list(value)}: need finite x1 < x2, y1 < y2")
    return (x1, y1, x2, y2)
