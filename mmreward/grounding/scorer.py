"""Score grounding items: decode images, detect (batched, cached), judge with the rewards.

The detector loads on first use, so a server that never scores images never imports torch or
ultralytics. Detections are cached by image digest and thresholds: a GRPO group sends the same
image with many responses, and it is detected once.

Images are checked from their headers first and decoded a batch at a time: a 49 KB PNG can
decode to 4096 x 4096 (~50 MB of RGB, more while it is detected), and decoding every image of a
request up front took 40 of them to +4.9 GB, held after the request. A batch holds at most
`grounding_batch_pixels`, all requests together at most `grounding_server_pixels` (`PixelBudget`),
and a request decodes at most `grounding_request_pixels` in all; a batch's pixels are dropped and
the freed memory given back to the kernel before the next is decoded.
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

from mmreward.allocator import return_freed_memory
from mmreward.cache import LRU
from mmreward.errors import (
    InvalidInputError,
    MMRewardError,
    ModelNotLoadedError,
    RequestEndedError,
)
from mmreward.grounding.budget import PixelBudget
from mmreward.grounding.claims import MAX_ANSWER_CHARS, answer_text
from mmreward.grounding.colours import box_colour
from mmreward.grounding.detector import Detection, Thresholds, YoloDetector
from mmreward.grounding.images import DecodedImage, EncodedImage, open_image
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
_Opened = EncodedImage | InvalidInputError

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
        self._pixels = PixelBudget(settings.grounding_server_pixels)

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
        vocab = self.vocabulary
        plan = _Plan(self, items, vocab)
        for batch in plan.batches:
            with self._pixels.held(plan.pixels(batch)):
                decoded = plan.decode(batch)
                for (conf, iou), keys in plan.detections(batch, decoded).items():
                    found = self.detector.detect(
                        [decoded[k[0]].image for k in keys], conf=conf, iou=iou
                    )
                    for key, detections in zip(keys, found, strict=True):
                        plan.observed(key, _observed(decoded[key[0]], detections, vocab))
                del decoded
            return_freed_memory()
        return self._judge_all(items, plan, vocab)

    async def ascore_batch(self, items: Sequence[GroundingItem]) -> list[Verdict]:
        """The async door: decoding and judging off the event loop, detection batched."""
        vocab = await asyncio.to_thread(lambda: self.vocabulary)
        plan = await asyncio.to_thread(_Plan, self, items, vocab)
        detector = self.detector
        for batch in plan.batches:
            pixels = plan.pixels(batch)
            await self._pixels.acquire(pixels)
            try:
                decoded = await asyncio.to_thread(plan.decode, batch)
                keys = [k for ks in plan.detections(batch, decoded).values() for k in ks]
                found = await asyncio.gather(
                    *(detector.adetect(decoded[k[0]].image, conf=k[1], iou=k[2]) for k in keys),
                    return_exceptions=True,
                )
                for key, detections in zip(keys, found, strict=True):
                    if isinstance(detections, RequestEndedError):
                        # Its traceback holds the frame that held the image: a cycle that only
                        # a full collection (rare: the start-up heap is frozen) would free.
                        plan.failed[key[0], key] = detections.with_traceback(None)
                        continue
                    if isinstance(detections, BaseException):
                        raise detections
                    observed = await asyncio.to_thread(
                        _observed, decoded[key[0]], detections, vocab
                    )
                    plan.observed(key, observed)
                del decoded
            finally:
                self._pixels.release(pixels)
            await asyncio.to_thread(return_freed_memory)
        return await asyncio.to_thread(self._judge_all, items, plan, vocab)

    def open_all(self, items: Sequence[GroundingItem]) -> list[_Opened]:
        """Every item's image checked from its header (nothing decoded); one that fails is that
        item's error, and the other items are scored as usual."""
        seen: dict[str, _Opened] = {}
        for item in items:
            if item.image not in seen:
                try:
                    seen[item.image] = open_image(
                        item.image,
                        max_bytes=self.settings.grounding_max_image_bytes,
                        max_pixels=self.settings.grounding_max_pixels,
                    )
                except InvalidInputError as error:
                    seen[item.image] = error
        return [seen[item.image] for item in items]

    def _thresholds(self, item: GroundingItem) -> Thresholds:
        detector = self.detector
        conf = detector.conf if item.params.conf is None else item.params.conf
        iou = detector.iou if item.params.iou is None else item.params.iou
        return conf, iou

    def _judge_all(
        self, items: Sequence[GroundingItem], plan: _Plan, vocab: Vocabulary
    ) -> list[Verdict]:
        """Each item's verdict. An image that failed (undecodable, over the request's pixels)
        is an error for its items; one dropped from the detector's queue because the request
        ended is `deadline` (its deadline passed) or `error` (caller gone), with the reason."""
        verdicts = []
        for i, (item, image) in enumerate(zip(items, plan.images, strict=True)):
            if isinstance(image, InvalidInputError):
                verdicts.append(Verdict.failed("error", f"items[{i}].image: {image}"))
                continue
            key = (image.digest, *self._thresholds(item))
            failed = plan.failed.get((image.digest, None)) or plan.failed.get((image.digest, key))
            if isinstance(failed, RequestEndedError):
                verdicts.append(Verdict.failed(failed.verdict_status, str(failed)))
            elif failed is not None:
                verdicts.append(Verdict.failed("error", f"items[{i}].image: {failed}"))
            else:
                verdicts.append(self._judge(item, image, plan.known.get(key), vocab))
        return verdicts

    def _judge(
        self,
        item: GroundingItem,
        image: EncodedImage,
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


class _Plan:
    """One call's images: which to decode, in which batches, and what each key came to.

    Every distinct image is decoded once (an undecodable one is an error even where the
    reference makes detection needless), except one whose detections are all cached: those
    bytes were decoded before. Batches follow the order of first appearance.
    """

    def __init__(
        self, scorer: GroundingScorer, items: Sequence[GroundingItem], vocab: Vocabulary
    ) -> None:
        settings = scorer.settings
        self.images = scorer.open_all(items)
        self.known: dict[_CacheKey, list[Observed]] = {}
        self.failed: dict[tuple[str, _CacheKey | None], MMRewardError] = {}
        self._keys: dict[str, list[_CacheKey]] = {}  # digest -> keys it must be detected with
        self._by_digest: dict[str, EncodedImage] = {}
        cached_only: set[str] = set()
        for item, image in zip(items, self.images, strict=True):
            if isinstance(image, InvalidInputError):
                continue
            digest = image.digest
            first = digest not in self._by_digest
            self._by_digest.setdefault(digest, image)
            keys = self._keys.setdefault(digest, [])
            if not _needs_detections(item, vocab):
                cached_only.discard(digest)
                continue
            key = (digest, *scorer._thresholds(item))
            if key in keys or key in self.known:
                DETECTION_REUSED.inc()
                continue
            cached = scorer._cache.get(key)
            if cached is None:
                keys.append(key)
                cached_only.discard(digest)
            else:
                DETECTION_REUSED.inc()
                self.known[key] = list(cached)
                if first:
                    cached_only.add(digest)
        self._cache = scorer._cache
        self.batches = self._batch(
            [d for d in self._by_digest if d not in cached_only],
            settings.grounding_batch_pixels,
            settings.grounding_request_pixels,
        )

    def _batch(self, digests: list[str], per_batch: int, per_request: int) -> list[list[str]]:
        batches: list[list[str]] = []
        size = spent = 0
        for digest in digests:
            pixels = self._by_digest[digest].pixels
            spent += pixels
            if spent > per_request:
                self.failed[digest, None] = InvalidInputError(
                    f"the request's images decode to more than {per_request} pixels; "
                    "send fewer or smaller images per request"
                )
                continue
            if not batches or size + pixels > per_batch:
                batches.append([])
                size = 0
            batches[-1].append(digest)
            size += pixels
        return batches

    def pixels(self, batch: Sequence[str]) -> int:
        return sum(self._by_digest[d].pixels for d in batch)

    def decode(self, batch: Sequence[str]) -> dict[str, DecodedImage]:
        """The batch's pixels; an image that will not decode is a failure for its items."""
        decoded = {}
        for digest in batch:
            try:
                decoded[digest] = self._by_digest[digest].decode()
            except InvalidInputError as error:
                self.failed[digest, None] = error
        return decoded

    def detections(
        self, batch: Sequence[str], decoded: Mapping[str, DecodedImage]
    ) -> dict[Thresholds, list[_CacheKey]]:
        """The keys of the batch's decoded images to detect, grouped by thresholds."""
        groups: dict[Thresholds, list[_CacheKey]] = {}
        for digest in batch:
            if digest in decoded:
                for key in self._keys[digest]:
                    groups.setdefault((key[1], key[2]), []).append(key)
        return groups

    def observed(self, key: _CacheKey, observed: list[Observed]) -> None:
        DETECTED_IMAGES.inc()
        self.known[key] = observed
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
