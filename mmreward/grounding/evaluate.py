"""Measure the grounded rewards on a fresh synthetic sample (the figures the README reports).

For each generated scene: a truthful caption, a caption with one hallucinated shape and one with
a miscounted class (hallucination task), a "how many" question per class (count task), and the
true box of one shape vs the box of a shape of another class (grounding task). Everything goes
through `GroundingScorer`, as a request to the service would.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmreward.grounding.images import encode_png
from mmreward.grounding.items import GroundingItem
from mmreward.grounding.scorer import GroundingScorer
from mmreward.grounding.synthetic import (
    CAPTION_STYLES,
    SHAPE_CLASSES,
    CaptionStyle,
    Scene,
    caption,
    generate_scene,
    hallucinated_counts,
    miscounted_counts,
    true_counts,
)
from mmreward.grounding.train import validate_detector
from mmreward.settings import Settings

_COUNT_STYLES: tuple[CaptionStyle, ...] = ("counts", "digits", "answer_tag", "table")


@dataclass
class Sample:
    """Items with the label of what each one tests."""

    items: list[GroundingItem] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, label: str, item: GroundingItem) -> None:
        self.items.append(item)
        self.labels.append(label)


def build_sample(n_scenes: int, seed: int) -> Sample:
    """Items for `n_scenes` fresh scenes; the seed should differ from the training data's."""
    rng = np.random.default_rng(seed)
    sample = Sample()
    for _ in range(n_scenes):
        scene = generate_scene(rng)
        image = encode_png(scene.image)
        _add_captions(sample, scene, image, rng)
        for cls in SHAPE_CLASSES:
            n = scene.count(cls)
            answer = str(n) if rng.random() < 0.5 else f"There are {n} {cls}s."
            sample.add(
                "count",
                GroundingItem(
                    image=image,
                    task="count",
                    question=f"How many {cls}s are there in the image?",
                    response=f"<answer>{answer}</answer>",
                ),
            )
        _add_boxes(sample, scene, image, rng)
    return sample


def _add_captions(sample: Sample, scene: Scene, image: str, rng: np.random.Generator) -> None:
    style = CAPTION_STYLES[int(rng.integers(len(CAPTION_STYLES)))]
    colours = style in ("counts", "colours", "listing") and rng.random() < 0.7
    truthful = caption(true_counts(scene, colours=colours), style)
    sample.add("truthful", GroundingItem(image=image, response=truthful))
    fake = caption(hallucinated_counts(scene, rng, colours=colours), style)
    sample.add("hallucinated", GroundingItem(image=image, response=fake))
    if scene.shapes:
        count_style = _COUNT_STYLES[int(rng.integers(len(_COUNT_STYLES)))]
        wrong = caption(miscounted_counts(scene, rng, colours=False), count_style)
        sample.add("miscounted", GroundingItem(image=image, response=wrong))


def _add_boxes(sample: Sample, scene: Scene, image: str, rng: np.random.Generator) -> None:
    if not scene.shapes:
        return
    target = scene.shapes[int(rng.integers(len(scene.shapes)))]
    question = f"Where is the {target.colour} {target.cls}? Answer with [x1, y1, x2, y2]."
    box = ", ".join(str(int(v)) for v in target.box)
    sample.add(
        "box_correct",
        GroundingItem(image=image, task="grounding", question=question, response=f"[{box}]"),
    )
    others = [s for s in scene.shapes if s.cls != target.cls]
    if others:
        wrong = others[int(rng.integers(len(others)))]
        box = ", ".join(str(int(v)) for v in wrong.box)
        sample.add(
            "box_wrong",
            GroundingItem(image=image, task="grounding", question=question, response=f"[{box}]"),
        )


def evaluate(scorer: GroundingScorer, n_scenes: int, seed: int) -> dict[str, float]:
    """The must-show figures on a fresh sample."""
    sample = build_sample(n_scenes, seed)
    start = time.perf_counter()
    verdicts = scorer.score_batch(sample.items)
    seconds = time.perf_counter() - start
    by: dict[str, list[float]] = {}
    for label, verdict in zip(sample.labels, verdicts, strict=True):
        by.setdefault(label, []).append(verdict.reward)
    flawed = by["hallucinated"] + by["miscounted"]
    return {
        "scenes": n_scenes,
        "items": len(sample.items),
        "truthful_mean_reward": statistics.fmean(by["truthful"]),
        "truthful_all_confirmed": statistics.fmean(r == 1.0 for r in by["truthful"]),
        "hallucinated_below_1": statistics.fmean(r < 1.0 for r in by["hallucinated"]),
        "miscounted_below_1": statistics.fmean(r < 1.0 for r in by["miscounted"]),
        "flawed_below_1": statistics.fmean(r < 1.0 for r in flawed),
        "count_accuracy": statistics.fmean(by["count"]),
        "box_correct_mean_iou": statistics.fmean(by["box_correct"]),
        "box_correct_iou_ge_0.7": statistics.fmean(r >= 0.7 for r in by["box_correct"]),
        "box_wrong_max_iou": max(by["box_wrong"]),
        "box_wrong_iou_le_0.2": statistics.fmean(r <= 0.2 for r in by["box_wrong"]),
        "seconds": round(seconds, 1),
    }


def report(
    detector: Path | None, n_scenes: int, seed: int, map_workdir: Path | None
) -> dict[str, float]:
    """`evaluate` with the given detector (the bundled one if None); with `map_workdir`, also
    the detector's mAP50 on fresh scenes written there."""
    scorer = GroundingScorer(Settings(detector=detector))
    try:
        figures = evaluate(scorer, n_scenes, seed)
        if map_workdir is not None:
            map50, map50_95 = validate_detector(
                scorer.detector.path, workdir=map_workdir, n_images=n_scenes
            )
            figures.update(map50=map50, map50_95=map50_95)
        return figures
    finally:
        scorer.close()
