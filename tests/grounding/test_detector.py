import threading

import numpy as np
import pytest
import torch
from PIL import Image

from mmreward.compute import ComputeLanes
from mmreward.errors import InvalidInputError, NotFoundError
from mmreward.grounding._ultralytics import yolo_class
from mmreward.grounding.detector import BUNDLED_DETECTOR, YoloDetector
from mmreward.grounding.rewards import iou
from mmreward.grounding.synthetic import SHAPE_CLASSES, generate_scene
from mmreward.grounding.vocab import COCO_CLASSES, vocabulary_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def detector():
    detector = YoloDetector()
    yield detector
    detector.close()


@pytest.fixture(scope="module")
def scenes():
    rng = np.random.default_rng(2024)  # not a training seed
    return [generate_scene(rng) for _ in range(40)]


def test_bundled_checkpoint_is_small_and_names_the_shapes(detector):
    assert BUNDLED_DETECTOR.stat().st_size < 10 * 1024 * 1024
    assert detector.names == SHAPE_CLASSES
    assert detector.path == BUNDLED_DETECTOR.resolve()


def test_detects_fresh_scenes(detector, scenes):
    found = detector.detect([s.image for s in scenes])
    truth = sum(len(s.shapes) for s in scenes)
    hits = 0
    for scene, detections in zip(scenes, found, strict=True):
        for shape in scene.shapes:
            hits += any(d.cls == shape.cls and iou(d.box, shape.box) > 0.5 for d in detections)
    false = sum(len(d) for d in found) - hits
    assert hits / truth >= 0.95
    assert false / max(1, hits) <= 0.05


def test_thresholds_apply_per_call(detector, scenes):
    images = [s.image for s in scenes[:8]]
    strict = detector.detect(images, conf=0.9)
    loose = detector.detect(images, conf=0.05)
    assert all(d.confidence >= 0.9 for ds in strict for d in ds)
    assert sum(map(len, loose)) >= sum(map(len, strict))


def test_concurrent_callers_with_different_thresholds_get_their_own_results(detector, scenes):
    """Sharing one ultralytics predictor across threads mixes up per-call settings."""
    images = [s.image for s in scenes[:10]]
    thresholds = [0.05, 0.3, 0.6, 0.85]
    expected = {c: detector.detect(images, conf=c) for c in thresholds}
    got: dict[float, list] = {}

    def call(conf: float) -> None:
        got[conf] = [detector.detect([image], conf=conf)[0] for image in images]

    threads = [threading.Thread(target=call, args=(c,)) for c in thresholds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conf in thresholds:
        assert [[d.cls for d in ds] for ds in got[conf]] == [
            [d.cls for d in ds] for ds in expected[conf]
        ]
        assert all(d.confidence >= conf for ds in got[conf] for d in ds)


def test_on_shared_lanes_each_lane_has_its_copy_and_finds_the_same(detector, scenes):
    """Several lanes predict at once, each with its own weights, without mixing up settings."""
    images = [s.image for s in scenes[:16]]
    lanes = ComputeLanes(2)
    shared = YoloDetector(compute=lanes, max_batch=4)
    try:
        assert shared._batcher._owner.lanes == 2
        got: dict[float, list] = {}

        def call(conf: float) -> None:
            got[conf] = shared.detect(images, conf=conf)

        threads = [threading.Thread(target=call, args=(c,)) for c in (0.3, 0.6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        shared.close()
        lanes.shutdown()
    for conf, found in got.items():
        want = detector.detect(images, conf=conf)
        for a, b in zip(found, want, strict=True):
            assert [d.cls for d in a] == [d.cls for d in b]
            for da, db in zip(a, b, strict=True):
                assert iou(da.box, db.box) > 0.99


async def test_async_detection_matches_sync(detector, scenes):
    images = [s.image for s in scenes[:6]]
    sync = detector.detect(images)
    import asyncio

    together = await asyncio.gather(*(detector.adetect(image) for image in images))
    for a, b in zip(sync, together, strict=True):
        assert [d.cls for d in a] == [d.cls for d in b]
        for da, db in zip(a, b, strict=True):
            assert iou(da.box, db.box) > 0.99


def test_a_users_coco_checkpoint_loads_through_the_same_path(tmp_path):
    model = yolo_class()("yolov8n.yaml")  # 80 classes, random weights
    model.model.names = dict(enumerate(COCO_CLASSES))
    path = tmp_path / "coco-yolov8n.pt"
    torch.save({"model": model.model, "train_args": {"imgsz": 320}}, path)

    detector = YoloDetector(path, conf=0.5)
    try:
        assert detector.names == COCO_CLASSES
        vocab = vocabulary_for(detector.names)
        assert vocab.forms["people"] == "person"
        assert vocab.forms["tv monitor"] == "tv"
        assert not vocab.check_colours
        (found,) = detector.detect([Image.new("RGB", (320, 240), (90, 120, 200))])
        assert all(d.cls in COCO_CLASSES for d in found)
    finally:
        detector.close()


def test_bad_checkpoint_paths(tmp_path):
    with pytest.raises(NotFoundError):
        YoloDetector(tmp_path / "missing.pt")
    # A bare name would make ultralytics download it; we never pass one through.
    with pytest.raises(NotFoundError):
        YoloDetector("yolov8n.pt")
    other = tmp_path / "weights.onnx"
    other.write_bytes(b"x")
    with pytest.raises(InvalidInputError):
        YoloDetector(other)
