"""A YOLO detector from a local `.pt` file, predicting batches on its owner thread.

Any ultralytics detection checkpoint works: the bundled shapes model, a COCO yolov8n/yolo11n, a
user's fine-tune. Only an existing file path is accepted: a bare name like `yolov8n.pt` would
make ultralytics download it. The checkpoint is unpickled by torch (ultralytics' format), so
load only checkpoints you trust.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from mmreward.allocator import retain_freed_memory
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


def resolve_device(device: str) -> str:
    """`auto` means the first CUDA device when there is one, else the CPU."""
    if device == "auto":
        import torch

        return "cuda:0" if torch.cuda.is_available() else "cpu"
    return device


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
        # torch's thread count is process-wide. On a shared compute thread (the engine's) there is
        # one OpenMP team for all models, so loading leaves the count as it was. On a thread of
        # its own the detector keeps a second team, and teams that together outnumber the cores
        # are 20-50x slower when both run (measured: 2 threads each on 2 cores): half the cores.
        self._threads = threads
        self._shared = compute is not None
        self._model: Any = None
        self._predict_args: dict[str, Any] = {}
        self.names: tuple[str, ...] = ()
        self._batcher: KeyedBatcher[Image.Image, Thresholds, list[Detection]] = KeyedBatcher(
            self._predict,
            setup=self._load,
            max_batch=max_batch,
            max_queue=max_queue,
            name=f"yolo-{self.path.stem}",
            compute=compute,
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
        """Runs on the owner thread: load, warm up, then pin the thread count."""
        import torch

        threads_before = torch.get_num_threads()
        if not self.device.startswith("cuda"):
            retain_freed_memory()
        model = yolo_class()(str(self.path))
        if model.task != "detect":
            raise InvalidInputError(f"{self.path} is a {model.task} model, not a detector")
        names = model.names
        self.names = tuple(str(names[i]) for i in sorted(names))
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
        self._model = model
        # The first call builds the predictor, which resets torch's thread count; set ours after.
        self._predict((self.conf, self.iou), [Image.new("RGB", (64, 64), (255, 255, 255))])
        default = threads_before if self._shared else max(1, (os.cpu_count() or 2) // 2)
        torch.set_num_threads(self._threads or default)

    def _predict(self, thresholds: Thresholds, images: list[Image.Image]) -> list[list[Detection]]:
        conf, iou = thresholds
        results = self._model.predict(images, conf=conf, iou=iou, **self._predict_args)
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
