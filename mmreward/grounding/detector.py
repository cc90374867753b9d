"""A YOLO detector from a local `.pt` file, predicting batches on its owner thread.

Any ultralytics detection checkpoint works: the bundled shapes model, a COCO yolov8n/yolo11n, a
user's fine-tune. Only an existing file path is accepted: a bare name like `yolov8n.pt` would
make ultralytics download it. The checkpoint is unpickled by torch (ultralytics' format), so
load only checkpoints you trust.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from mmreward.allocator import retain_freed_memory
from mmreward.compute import (
    lanes_of,
    pin_this_thread,
    resolve_device,
    threads_for_new_threads,
    usable_cores,
)
from mmreward.errors import InvalidInputError, NotFoundError
from mmreward.grounding._ultralytics import ASSETS, half_precision_args, yolo_class
from mmreward.grounding.batcher import KeyedBatcher
from mmreward.grounding.claims import Box

BUNDLED_DETECTOR = ASSETS / "shapes-yolov8n.pt"
"""yolov8n trained on the synthetic shapes domain by `mmreward grounding train`."""


@dataclass(frozen=True)
class Detection:
    cls: str
    confidence: float
    box: Box
    """`[x1, y1, x2, y2]` in pixels of the image as given."""


Thresholds = tuple[float, float]
"""(confidence, NMS IoU): images are batched only with others that use the same pair."""


class YoloDetector:
    """An ultralytics YOLO model that only its owner thread touches.

    `agnostic_nms` suppresses overlapping boxes across classes too (one label per object); off by
    default, as in ultralytics, because real objects of different classes overlap (a rider and
    a horse).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        device: str = "auto",
        conf: float = 0.25,
        iou: float = 0.7,
        imgsz: int | None = None,
        max_det: int = 100,
        agnostic_nms: bool = False,
        threads: int | None = None,
        max_batch: int = 32,
        max_queue: int = 4096,
        compute: Executor | None = None,
    ) -> None:
        checkpoint = Path(path) if path is not None else BUNDLED_DETECTOR
        if not checkpoint.is_file():
            raise NotFoundError(f"detector checkpoint {checkpoint} does not exist")
        if checkpoint.suffix != ".pt":
            raise InvalidInputError(f"detector checkpoint must be a .pt file, got {checkpoint}")
        self.path = checkpoint.resolve()
        self.device = resolve_device(device)
        self.conf = conf
        self.iou = iou
        self.max_det = max_det
        self.agnostic_nms = agnostic_nms
        self._imgsz = imgsz
        # On the engine's lanes (shared with the other models) the detector keeps each lane's
        # thread count, and on CPU runs one copy of its weights per lane. On a thread of its own
        # it keeps a second OpenMP team, and teams that together outnumber the cores are 20-50x
        # slower when both run (measured: 2 threads each on 2 cores): half the cores.
        self._threads = threads
        self._shared = compute is not None
        self._models = threading.local()
        self._predict_args: dict[str, Any] = {}
        self.names: tuple[str, ...] = ()
        self._batcher: KeyedBatcher[Image.Image, Thresholds, list[Detection]] = KeyedBatcher(
            self._predict,
            setup=self._load,
            max_batch=max_batch,
            max_queue=max_queue,
            name=f"yolo-{self.path.stem}",
            compute=compute,
            lanes=lanes_of(compute, concurrent=not self.device.startswith("cuda")),
        )

    def detect(
        self, images: list[Image.Image], *, conf: float | None = None, iou: float | None = None
    ) -> list[list[Detection]]:
        """Detections per image, in order; the owner thread batches them."""
        return self._batcher.run_many(images, self._thresholds(conf, iou))

    async def adetect(
        self, image: Image.Image, *, conf: float | None = None, iou: float | None = None
    ) -> list[Detection]:
        """One image; concurrent calls are merged into batches on the owner thread."""
        return await self._batcher.asubmit(image, self._thresholds(conf, iou))

    def close(self) -> None:
        self._batcher.close()

    def _thresholds(self, conf: float | None, iou: float | None) -> Thresholds:
        return (self.conf if conf is None else conf, self.iou if iou is None else iou)

    def _load(self) -> None:
        """Runs on a lane (or the owner thread) before the first batch: settings, then weights."""
        args: dict[str, Any] = {
            "device": self.device,
            "verbose": False,
            "max_det": self.max_det,
            "agnostic_nms": self.agnostic_nms,
        }
        if self._imgsz is not None:
            args["imgsz"] = self._imgsz
        if self.device.startswith("cuda"):
            args.update(half_precision_args())
        self._predict_args = args
        names = self._model_here().names
        self.names = tuple(str(names[i]) for i in sorted(names))

    def _model_here(self) -> Any:
        """This thread's copy of the model: ultralytics keeps per-call state on the model."""
        model = getattr(self._models, "model", None)
        if model is None:
            model = self._new_model()
            self._models.model = model
        return model

    def _new_model(self) -> Any:
        """Load and warm up, then set the thread count that ultralytics' predictor resets."""
        import torch

        threads_before = torch.get_num_threads()
        default = threads_for_new_threads()
        if not self.device.startswith("cuda"):
            retain_freed_memory()
        model = yolo_class()(str(self.path))
        if model.task != "detect":
            raise InvalidInputError(f"{self.path} is a {model.task} model, not a detector")
        model.predict([Image.new("RGB", (64, 64), (255, 255, 255))], **self._predict_args)
        own = threads_before if self._shared else max(1, usable_cores() // 2)
        pin_this_thread(self._threads or own, default)
        return model

    def _predict(self, thresholds: Thresholds, images: list[Image.Image]) -> list[list[Detection]]:
        conf, iou = thresholds
        model = self._model_here()
        results = model.predict(images, conf=conf, iou=iou, **self._predict_args)
        _forget_images(model)
        out: list[list[Detection]] = []
        for result in results:
            boxes = result.boxes
            xyxy = boxes.xyxy.float().cpu().tolist()
            scores = boxes.conf.float().cpu().tolist()
            classes = boxes.cls.int().cpu().tolist()
            out.append(
                [
                    Detection(self.names[c], float(s), (b[0], b[1], b[2], b[3]))
                    for b, s, c in zip(xyxy, scores, classes, strict=True)
                ]
            )
        return out


def _forget_images(model: Any) -> None:
    """Drop the predictor's references to the last call's images: it keeps the source, the
    last batch and its results, each with full-size copies (~0.5 GB after a batch of four
    4096 x 4096 images, held until the next call). Each call sets them up anew."""
    predictor = getattr(model, "predictor", None)
    if predictor is not None:
        predictor.dataset = predictor.batch = predictor.results = None
