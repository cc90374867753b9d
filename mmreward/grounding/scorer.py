"""Score grounding items: decode images, detect (batched, cached), judge with the rewards.

The detector loads on first use, so a server that never scores images never imports torch or
ultralytics. Detections are cached by image digest and thresholds: a GRPO group sends the same
image with many responses, and it is detected once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from prometheus_client import Counter

from mmreward.cache import LRU
from mmreward.errors import InvalidInputError, ModelNotLoadedError, RequestEndedError
from mmreward.grounding.claims import MAX_ANSWER_CHARS, answer_text
from mmreward.grounding.colours import box_colour
from mmreward.grounding.detector import Detection, Thresholds, YoloDetector
from mmreward.grounding.images import DecodedImage, decode_image
from mmreward.grounding.items import GroundingItem
from mmreward.grounding.reference import BadReferenceError, reference_count, reference_objects
from mmreward.grounding.rewards import (
    Observed,
    count_reward,
    grounding_reward,
    hallucination_reward,
)
from mmreward.grounding.vocab import Vocabulary, vocabulary_for
from mmreward.settings import Settings
from mmreward.verifiers.verdict import Verdict

log = logging.getLogger(__name__)

_CacheKey = tuple[str, float, float]

DETECTED_IMAGES = Counter(
    "mmreward_grounding_detected_images_total", "Images run through the detector"
)
DETECTION_REUSED = Counter(
    "mmreward_grounding_detections_reused_total",
    "Items served by another item's detections (same image in the batch, or cached)",
)


class GroundingScorer:
    """The engine's grounding component: one detector, its vocabulary, a detection cache."""

    def __init__(
        self,
        settings: Settings,
        detector: YoloDetector | None = None,
        compute: Executor | None = None,
        device: str | None = None,
    ) -> None:
        self.settings = settings
        self.device = device or settings.device
        self._detector = detector
        self._error: str | None = None
        self._compute = compute
        self._vocabulary: Vocabulary | None = None
        self._lock = threading.Lock()
        self._cache: LRU[_CacheKey, tuple[Observed, ...]] = LRU(settings.grounding_cache_size)

    @property
    def detector(self) -> YoloDetector:
        """The detector, loaded on first use (the bundled one unless settings name another)."""
        with self._lock:
            if self._error is not None:
                raise ModelNotLoadedError(self._error)
            if self._detector is None:
                s = self.settings
                try:
                    self._detector = YoloDetector(
                        s.detector,
                        device=self.device,
                        conf=s.detector_conf,
                        iou=s.detector_iou,
                        agnostic_nms=s.detector_agnostic_nms,
                        threads=s.detector_threads,
                        max_batch=s.detector_max_batch,
                        compute=self._compute,
                    )
                except Exception as error:  # a server misconfiguration, not the client's fault
                    self._error = f"detector could not be loaded: {error}"
                    raise ModelNotLoadedError(self._error) from error
                log.info("detector %s loaded: %s", self._detector.path, self._detector.names)
            return self._detector

    @property
    def vocabulary(self) -> Vocabulary:
        detector = self.detector
        with self._lock:
            if self._vocabulary is None:
                extra = _load_synonyms(self.settings.detector_vocabulary)
                self._vocabulary = vocabulary_for(detector.names, extra)
            return self._vocabulary

    @property
    def loaded(self) -> bool:
        return self._detector is not None

    async def awarm_up(self) -> None:
        """Load the detector and its vocabulary now, off the event loop."""
        await asyncio.to_thread(lambda: self.vocabulary)

    def problem(self) -> str | None:
        """Why the detector cannot serve, if known; None when fine."""
        path = self.settings.detector
        if path is not None and not path.exists():
            return f"detector: {path} does not exist"
        return self._error

    def close(self) -> None:
        with self._lock:
            if self._detector is not None:
                self._detector.close()

    def score_batch(self, items: Sequence[GroundingItem]) -> list[Verdict]:
        """Score items in order; an undecodable image is an error verdict for its item."""
        images = self.decode(items)
        vocab = self.vocabulary
        wanted, known = self._wanted(items, images, vocab)
        by_thresholds: dict[Thresholds, dict[_CacheKey, DecodedImage]] = {}
        for key, image in wanted.items():
            by_thresholds.setdefault((key[1], key[2]), {})[key] = image
        for (conf, iou), group in by_thresholds.items():
            found = self.detector.detect([g.image for g in group.values()], conf=conf, iou=iou)
            for (key, image), detections in zip(group.items(), found, strict=True):
                known[key] = _observed(image, detections, vocab)
                self._remember(key, known[key])
        DETECTED_IMAGES.inc(len(wanted))
        return self._judge_all(items, images, vocab, known)

    async def ascore_batch(self, items: Sequence[GroundingItem]) -> list[Verdict]:
        """The async door: decoding and judging off the event loop, detection batched."""
        images = await asyncio.to_thread(self.decode, items)
        vocab = await asyncio.to_thread(lambda: self.vocabulary)
        wanted, known = self._wanted(items, images, vocab)
        keys = list(wanted)
        detector = self.detector
        found = await asyncio.gather(
            *(detector.adetect(wanted[k].image, conf=k[1], iou=k[2]) for k in keys),
            return_exceptions=True,
        )
        ended: dict[_CacheKey, RequestEndedError] = {}
        for key, detections in zip(keys, found, strict=True):
            if isinstance(detections, RequestEndedError):
                ended[key] = detections
                continue
            if isinstance(detections, BaseException):
                raise detections
            known[key] = await asyncio.to_thread(_observed, wanted[key], detections, vocab)
            self._remember(key, known[key])
        DETECTED_IMAGES.inc(len(wanted) - len(ended))
        return await asyncio.to_thread(self._judge_all, items, images, vocab, known, ended)

    def decode(self, items: Sequence[GroundingItem]) -> list[DecodedImage | InvalidInputError]:
        """Decode every image up front; one that cannot be decoded is that item's error
        (naming it), and the other items are scored as usual."""
        decoded: list[DecodedImage | InvalidInputError] = []
        seen: dict[str, DecodedImage | InvalidInputError] = {}
        for i, item in enumerate(items):
            if item.image not in seen:
                try:
                    seen[item.image] = decode_image(
                        item.image,
                        max_bytes=self.settings.grounding_max_image_bytes,
                        max_pixels=self.settings.grounding_max_pixels,
                    )
                except InvalidInputError as error:
                    seen[item.image] = error
            found = seen[item.image]
            decoded.append(
                InvalidInputError(f"items[{i}].image: {found}")
                if isinstance(found, InvalidInputError)
                else found
            )
        return decoded

    def _thresholds(self, item: GroundingItem) -> Thresholds:
        detector = self.detector
        conf = detector.conf if item.params.conf is None else item.params.conf
        iou = detector.iou if item.params.iou is None else item.params.iou
        return conf, iou

    def _wanted(
        self,
        items: Sequence[GroundingItem],
        images: Sequence[DecodedImage | InvalidInputError],
        vocab: Vocabulary,
    ) -> tuple[dict[_CacheKey, DecodedImage], dict[_CacheKey, list[Observed]]]:
        """Images that need a detection pass (deduplicated), and the detections already cached."""
        wanted: dict[_CacheKey, DecodedImage] = {}
        known: dict[_CacheKey, list[Observed]] = {}
        for item, image in zip(items, images, strict=True):
            if isinstance(image, InvalidInputError) or not _needs_detections(item, vocab):
                continue
            key = (image.digest, *self._thresholds(item))
            if key in wanted or key in known:
                DETECTION_REUSED.inc()
                continue
            cached = self._recall(key)
            if cached is None:
                wanted[key] = image
            else:
                DETECTION_REUSED.inc()
                known[key] = cached
        return wanted, known

    def _judge_all(
        self,
        items: Sequence[GroundingItem],
        images: Sequence[DecodedImage | InvalidInputError],
        vocab: Vocabulary,
        known: Mapping[_CacheKey, list[Observed]],
        ended: Mapping[_CacheKey, RequestEndedError] | None = None,
    ) -> list[Verdict]:
        """Each item's verdict; one whose image was dropped from the detector's queue because
        the request ended is `deadline` (its deadline passed) or `error` (caller gone), with the
        reason."""
        verdicts = []
        for item, image in zip(items, images, strict=True):
            if isinstance(image, InvalidInputError):
                verdict = Verdict.failed("error", str(image))
            else:
                key = (image.digest, *self._thresholds(item))
                if ended and key in ended:
                    verdict = Verdict.failed(ended[key].verdict_status, str(ended[key]))
                else:
                    verdict = self._judge(item, image, known.get(key), vocab)
            verdicts.append(verdict)
        return verdicts

    def _judge(
        self,
        item: GroundingItem,
        image: DecodedImage,
        detections: list[Observed] | None,
        vocab: Vocabulary,
    ) -> Verdict:
        response = item.response
        try:
            objects = reference_objects(item.reference, vocab)
            expected = reference_count(item.reference)
        except BadReferenceError as error:
            return Verdict.failed("unparsable_reference", str(error))
        answer = answer_text(response)
        if len(answer) > MAX_ANSWER_CHARS:
            return Verdict.failed("error", "answer_too_long", extracted=answer[:200])
        source = "reference" if objects is not None or expected is not None else "detector"
        observed = objects if objects is not None else (detections or [])
        try:
            if item.task == "hallucination":
                return hallucination_reward(
                    response,
                    observed,
                    vocab,
                    source=source,
                    unverifiable=item.params.unverifiable,
                )
            if item.task == "count":
                return count_reward(
                    response, item.question, observed, vocab, expected=expected, source=source
                )
            return grounding_reward(
                response,
                item.question,
                observed,
                vocab,
                image_size=image.size,
                box_format=item.params.box_format,
                model_input_size=item.params.model_input_size,
                mode=item.params.mode,
                source=source,
            )
        except Exception as error:
            log.exception("grounding %s failed", item.task)
            return Verdict.failed("error", f"grounding failed: {type(error).__name__}: {error}")

    def _recall(self, key: _CacheKey) -> list[Observed] | None:
        found = self._cache.get(key)
        return None if found is None else list(found)

    def _remember(self, key: _CacheKey, observed: list[Observed]) -> None:
        self._cache.put(key, tuple(observed))


def _needs_detections(item: GroundingItem, vocab: Vocabulary) -> bool:
    try:
        if reference_count(item.reference) is not None and item.task == "count":
            return False
        return reference_objects(item.reference, vocab) is None
    except BadReferenceError:
        return False


def _observed(
    image: DecodedImage, detections: list[Detection], vocab: Vocabulary
) -> list[Observed]:
    pixels = np.asarray(image.image) if vocab.check_colours and detections else None
    return [
        Observed(
            d.cls,
            d.box,
            box_colour(pixels, d.box) if pixels is not None else None,
            d.confidence,
        )
        for d in detections
    ]


def _load_synonyms(path: Path | None) -> Mapping[str, Sequence[str]] | None:
    """Extra synonyms from a JSON or YAML file mapping class name -> list of words."""
    if path is None:
        return None
    text = path.read_text()
    data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v)
        for k, v in data.items()
    ):
        raise InvalidInputError(f"{path}: expected a mapping of class name to a list of words")
    return data
