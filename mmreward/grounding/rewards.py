"""The three grounded rewards, as pure functions of parsed claims and observed objects.

Observed objects come from the detector or from the request's `reference`; either way the reward
code sees the same `Observed` list, so a relabeling job with ground truth and a live detector
are scored alike.

- `hallucination`: fraction of claims the objects confirm; CHAIR_i (hallucinated mentioned
  classes / mentioned classes) and CHAIR_s reported in the details; claims the detector cannot
  check are `unverifiable` and, by default, earn nothing.
- `count`: the count the response gives for the class(es) the question asks about, vs the
  objects.
- `grounding`: IoU of the answered box with the best target box (VLM-R1), or for several boxes
  the Visual-RFT form: greedy one-to-one matching at IoU > 0.5, sum of matched IoU divided by
  max(#predicted, #targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mmreward.grounding.claims import (
    Box,
    Claim,
    answer_text,
    find_mentions,
    parse_boxes,
    parse_claims,
    parse_count,
    question_classes,
    question_target,
    unverifiable_claims,
)
from mmreward.grounding.vocab import ANY_OBJECT, Vocabulary
from mmreward.verifiers.verdict import Verdict

BoxFormat = Literal["auto", "pixel", "normalized", "normalized_1000"]
GroundingMode = Literal["auto", "best", "matched"]
UnverifiablePolicy = Literal["unconfirmed", "ignore"]
MATCH_IOU = 0.5
"""Visual-RFT's matching threshold, and the IoU at which a box counts as `correct`."""
MAX_MATCH_PAIRS = 4096
"""Answered boxes x target boxes one item may match (64 x 64): matching walks every pair in
Python, and 64 answered boxes against a 1,000-object reference took ~0.1 s per item, over a
minute of CPU for one request of such items."""


@dataclass(frozen=True)
class Observed:
    """An object known to be in the image: detected, or given in the reference."""

    cls: str
    box: Box | None = None
    colour: str | None = None
    confidence: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.cls}
        if self.box is not None:
            out["box"] = [round(v, 1) for v in self.box]
        if self.colour is not None:
            out["colour"] = self.colour
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 3)
        return out


def count_matching(objects: Sequence[Observed], cls: str, colour: str | None) -> int:
    """Objects of `cls`; unlabelled objects and the `ANY_OBJECT` query match any class, and an
    unknown object colour matches any colour."""
    return sum(
        (cls == ANY_OBJECT or o.cls in (cls, ANY_OBJECT))
        and (colour is None or o.colour is None or o.colour == colour)
        for o in objects
    )


def hallucination_reward(
    response: str,
    objects: Sequence[Observed],
    vocab: Vocabulary,
    *,
    source: str,
    unverifiable: UnverifiablePolicy = "unconfirmed",
) -> Verdict:
    """Fraction of the response's claims (presence, count, absence) that the objects confirm.

    Claims about objects the detector cannot see ("a dog" to a shapes detector, "a purple
    hexagon") are `unverifiable`: listed in the details, and under the default policy
    `unconfirmed` they count as claims that earn nothing, so padding a description with them
    never pays; `ignore` leaves them out of the reward. CHAIR_i / CHAIR_s are computed over the
    detector's classes, as CHAIR defines them, with the unverifiable nouns reported beside.
    """
    claims = parse_claims(response, vocab)
    unknown = unverifiable_claims(response, vocab)
    if not claims and not unknown:
        return Verdict.failed(
            "no_answer", "no object mentions found", objects=_objects(objects), source=source
        )
    checked = [(c, count_matching(objects, c.cls, c.colour)) for c in claims]
    confirmed = sum(c.holds(n) for c, n in checked)
    counted = len(claims) + (len(unknown) if unverifiable == "unconfirmed" else 0)
    nouns = sorted({c.cls for c in unknown})
    if counted == 0:
        return Verdict.failed(
            "no_answer",
            "only claims the detector cannot check",
            unverifiable=nouns,
            objects=_objects(objects),
            source=source,
        )
    mentioned = {c.cls for c in claims if c.cls != ANY_OBJECT and c.count > 0}
    hallucinated = sorted(cls for cls in mentioned if count_matching(objects, cls, None) == 0)
    chair_i = len(hallucinated) / len(mentioned) if mentioned else 0.0
    reason = f"{confirmed}/{counted} claims confirmed"
    if unknown:
        reason += f"; {len(unknown)} unverifiable ({unverifiable})"
    return Verdict(
        reward=confirmed / counted,
        correct=confirmed == counted,
        extracted="; ".join(c.describe() for c in [*claims, *unknown]),
        reason=reason,
        details={
            "claims": [_claim(c, n) for c, n in checked] + [_claim(c, None) for c in unknown],
            "chair_i": chair_i,
            "chair_s": 1.0 if hallucinated else 0.0,
            "hallucinated": hallucinated,
            "unverifiable": nouns,
            "unverifiable_policy": unverifiable,
            "objects": _objects(objects),
            "source": source,
        },
    )


def count_reward(
    response: str,
    question: str | None,
    objects: Sequence[Observed],
    vocab: Vocabulary,
    *,
    expected: int | None = None,
    source: str,
) -> Verdict:
    """1 when the answered count equals the observed (or given) count of the asked class; a
    question naming several classes ("How many circles or squares?") asks for them together."""
    cls, colour = question_target(question, vocab)
    if cls is None:
        cls = _first_class(answer_text(response), vocab)
    if not vocab.check_colours:
        colour = None
    classes = question_classes(question, vocab)
    if len(classes) > 1:
        return _count_of_classes(
            response, classes, colour, objects, vocab, expected=expected, source=source
        )
    answered = _answered_count(response, vocab, cls, colour)
    if answered is None:
        return Verdict.failed("no_answer", "no count found in the answer", target=cls)
    if expected is None:
        if cls is None:
            return Verdict.failed("no_answer", "no object class named in question or answer")
        expected = count_matching(objects, cls, colour)
    return _counted(answered, expected, cls, colour, objects, source)


def _count_of_classes(
    response: str,
    classes: list[str],
    colour: str | None,
    objects: Sequence[Observed],
    vocab: Vocabulary,
    *,
    expected: int | None,
    source: str,
) -> Verdict:
    """The count of several named classes together: the answer's counts of those classes added
    up ("2 circles and 1 square"), else the one number it gives ("3")."""
    per_class = [parse_count(response, vocab, cls, colour) for cls in classes]
    mentions = find_mentions(answer_text(response), vocab)
    named = any(m.cls in classes and m.kind in ("exact", "absent") for m in mentions)
    answered = sum(n or 0 for n in per_class) if named else parse_count(response, vocab, None)
    if answered is None:
        return Verdict.failed("no_answer", "no count found in the answer", target=classes)
    if expected is None:
        expected = sum(count_matching(objects, cls, colour) for cls in classes)
    return _counted(answered, expected, classes, colour, objects, source)


def _counted(
    answered: int,
    expected: int,
    target: str | list[str] | None,
    colour: str | None,
    objects: Sequence[Observed],
    source: str,
) -> Verdict:
    correct = answered == expected
    return Verdict(
        reward=1.0 if correct else 0.0,
        correct=correct,
        extracted=str(answered),
        reason=f"answered {answered}, expected {expected}",
        details={
            "target": target,
            "colour": colour,
            "answered": answered,
            "expected": expected,
            "objects": _objects(objects),
            "source": source,
        },
    )


def grounding_reward(
    response: str,
    question: str | None,
    targets: Sequence[Observed],
    vocab: Vocabulary,
    *,
    image_size: tuple[int, int],
    box_format: BoxFormat = "auto",
    model_input_size: tuple[int, int] | None = None,
    mode: GroundingMode = "auto",
    source: str,
) -> Verdict:
    """IoU of the answered box(es) with the boxes of the named class."""
    raw = parse_boxes(response)
    if not raw:
        return Verdict.failed("no_answer", "no [x1, y1, x2, y2] box in the answer")
    box_format = resolve_box_format(raw, box_format)
    boxes = [rescale_box(b, image_size, box_format, model_input_size) for b in raw]
    cls, colour = question_target(question, vocab)
    if cls is None:
        cls = _first_class(answer_text(response), vocab)
    candidates, colour_used = select_targets(targets, cls, colour if vocab.check_colours else None)
    used = "best" if mode == "auto" and len(boxes) == 1 else ("matched" if mode == "auto" else mode)
    details: dict[str, Any] = {
        "target": cls,
        "colour": colour_used,
        "boxes": [[round(v, 1) for v in b] for b in boxes],
        "box_format": box_format,
        "targets": _objects(candidates),
        "objects": _objects(targets),
        "mode": used,
        "source": source,
    }
    if not candidates:
        details.update(iou=0.0, matched_iou=0.0)
        return Verdict(
            reward=0.0,
            correct=False,
            extracted=_box_text(boxes),
            reason=f"no {cls or 'object'} to ground in the image ({source})",
            details=details,
        )
    gt = [t.box for t in candidates if t.box is not None]
    if len(boxes) * len(gt) > MAX_MATCH_PAIRS:
        return Verdict.failed(
            "error",
            f"{len(boxes)} answered boxes x {len(gt)} {cls or 'object'} boxes to match: at most "
            f"{MAX_MATCH_PAIRS} pairs per item",
        )
    best_target = max(range(len(gt)), key=lambda j: iou(boxes[0], gt[j]))
    best = iou(boxes[0], gt[best_target])
    matched, pairs = matched_iou(boxes, gt)
    reward = best if used == "best" else matched
    details.update(iou=best, best_target=best_target, matched_iou=matched, matches=pairs)
    return Verdict(
        reward=reward,
        correct=reward >= MATCH_IOU,
        extracted=_box_text(boxes),
        reason=f"{used} IoU {reward:.3f}",
        details=details,
    )


def select_targets(
    objects: Sequence[Observed], cls: str | None, colour: str | None
) -> tuple[list[Observed], str | None]:
    """Boxed objects of the named class; the named colour narrows them when any has it."""
    boxed = [o for o in objects if o.box is not None]
    of_class = [o for o in boxed if cls in (None, ANY_OBJECT) or o.cls in (cls, ANY_OBJECT)]
    if colour is not None:
        coloured = [o for o in of_class if o.colour == colour]
        if coloured:
            return coloured, colour
    return of_class, None


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 for degenerate ones."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def matched_iou(
    predicted: Sequence[Box], targets: Sequence[Box], threshold: float = MATCH_IOU
) -> tuple[float, list[tuple[int, int, float]]]:
    """Visual-RFT: greedy matching by IoU above `threshold`; sum IoU / max(#pred, #targets)."""
    if not predicted or not targets:
        return 0.0, []
    pairs = sorted(
        ((iou(p, t), i, j) for i, p in enumerate(predicted) for j, t in enumerate(targets)),
        reverse=True,
    )
    used_p: set[int] = set()
    used_t: set[int] = set()
    matches: list[tuple[int, int, float]] = []
    for value, i, j in pairs:
        if value <= threshold:
            break
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matches.append((i, j, value))
    total = sum(m[2] for m in matches)
    return total / max(len(predicted), len(targets)), matches


def resolve_box_format(boxes: Sequence[Box], box_format: BoxFormat) -> BoxFormat:
    """`auto`: boxes whose coordinates all lie in [0, 1] are normalised, any other are pixels.

    A model that answers 0-1 boxes (many do, unasked) would otherwise score IoU 0 against a
    pixel target; a genuine pixel box within [0, 1] covers at most one pixel, so the rule costs
    nothing real. An item that means pixels says `box_format="pixel"`.
    """
    if box_format != "auto":
        return box_format
    unit = all(0.0 <= v <= 1.0 for box in boxes for v in box)
    return "normalized" if unit else "pixel"


def rescale_box(
    box: Box,
    image_size: tuple[int, int],
    box_format: BoxFormat,
    model_input_size: tuple[int, int] | None = None,
) -> Box:
    """To original-image pixels, clipped to the image.

    `pixel` boxes are in the coordinates of the image the model saw: `model_input_size` (w, h)
    when it was resized for the model (VLM-R1 rescales the same way), else the image itself.
    """
    width, height = image_size
    if box_format == "normalized":
        sx, sy = float(width), float(height)
    elif box_format == "normalized_1000":
        sx, sy = width / 1000.0, height / 1000.0
    elif model_input_size is not None:
        sx, sy = width / model_input_size[0], height / model_input_size[1]
    else:
        sx = sy = 1.0
    x1, y1, x2, y2 = box
    return (
        min(max(x1 * sx, 0.0), float(width)),
        min(max(y1 * sy, 0.0), float(height)),
        min(max(x2 * sx, 0.0), float(width)),
        min(max(y2 * sy, 0.0), float(height)),
    )


def _answered_count(
    response: str, vocab: Vocabulary, cls: str | None, colour: str | None
) -> int | None:
    if cls == ANY_OBJECT:
        mentions = find_mentions(answer_text(response), vocab)
        if not any(m.cls == ANY_OBJECT for m in mentions):
            exact = [m.count for m in mentions if m.kind in ("exact", "absent")]
            if exact:
                return sum(exact)
    return parse_count(response, vocab, cls, colour)


def _first_class(text: str, vocab: Vocabulary) -> str | None:
    return next((m.cls for m in find_mentions(text, vocab)), None)


def _claim(claim: Claim, observed: int | None) -> dict[str, Any]:
    """A claim's entry in the details; `observed` is None for one the detector cannot check."""
    return {
        "claim": claim.describe(),
        "text": claim.text,
        "observed": observed,
        "confirmed": observed is not None and claim.holds(observed),
        "verdict": "unverifiable" if observed is None else claim_verdict(claim, observed),
    }


def claim_verdict(claim: Claim, observed: int) -> str:
    """`confirmed`; `hallucinated` when something said to be there is not there at all;
    `miscounted` when it is there in another number (a denied object that is present included)."""
    if claim.holds(observed):
        return "confirmed"
    if observed == 0 and claim.count > 0 and claim.relation != "<=":
        return "hallucinated"
    return "miscounted"


def _objects(objects: Sequence[Observed]) -> list[dict[str, Any]]:
    return [o.as_dict() for o in objects]


def _box_text(boxes: Sequence[Box]) -> str:
    return "; ".join("[" + ", ".join(f"{v:.1f}" for v in b) + "]" for b in boxes)
