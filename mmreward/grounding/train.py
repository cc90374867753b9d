"""Train the bundled shapes detector: generate the synthetic dataset, fit yolov8n from its yaml.

`mmreward grounding train --out shapes-yolov8n.pt --workdir DIR` reproduces
`assets/shapes-yolov8n.pt`. Everything ultralytics writes (dataset, runs, plots) stays in
`workdir`; only the final checkpoint is copied to `out`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mmreward.compute import resolve_device
from mmreward.grounding._ultralytics import yolo_class
from mmreward.grounding.synthetic import SHAPE_CLASSES, generate_scene


@dataclass(frozen=True)
class TrainReport:
    checkpoint: str
    map50: float
    map50_95: float
    epochs: int
    imgsz: int
    train_images: int
    seconds: float


def write_dataset(root: Path, *, n_train: int, n_val: int, seed: int) -> Path:
    """Write a YOLO-format dataset (images + label txt files) and return its data yaml."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("val", n_val)):
        images, labels = root / "images" / split, root / "labels" / split
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            scene = generate_scene(rng)
            w, h = scene.image.size
            scene.image.save(images / f"{i:05d}.png")
            rows = [
                f"{SHAPE_CLASSES.index(s.cls)} {(s.box[0] + s.box[2]) / 2 / w:.6f} "
                f"{(s.box[1] + s.box[3]) / 2 / h:.6f} {(s.box[2] - s.box[0]) / w:.6f} "
                f"{(s.box[3] - s.box[1]) / h:.6f}"
                for s in scene.shapes
            ]
            (labels / f"{i:05d}.txt").write_text("\n".join(rows) + ("\n" if rows else ""))
    data = root / "shapes.yaml"
    names = "\n".join(f"  {i}: {name}" for i, name in enumerate(SHAPE_CLASSES))
    data.write_text(
        f"path: {root.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n"
    )
    return data


def train_detector(
    out: Path,
    *,
    workdir: Path,
    epochs: int = 30,
    imgsz: int = 160,
    n_train: int = 600,
    n_val: int = 150,
    batch: int = 32,
    seed: int = 0,
    device: str = "auto",
) -> TrainReport:
    """Generate data, train yolov8n from its yaml (no pretrained download), copy best.pt to out."""
    start = time.perf_counter()
    workdir = workdir.resolve()
    data = write_dataset(workdir / "data", n_train=n_train, n_val=n_val, seed=seed)
    model = yolo_class()("yolov8n.yaml")
    metrics = model.train(
        data=str(data),
        epochs=epochs,
        imgsz=imgsz,
        batch=batch,
        device=resolve_device(device),
        workers=2,
        project=str(workdir / "runs"),
        name="shapes",
        exist_ok=True,
        pretrained=False,
        amp=False,  # the AMP self-check downloads a reference checkpoint
        plots=False,
        seed=seed,
        deterministic=False,
        close_mosaic=min(10, max(1, epochs // 4)),
        fliplr=0.5,
        flipud=0.0,  # triangles point up
        verbose=False,
    )
    best = Path(model.trainer.best)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, out)
    return TrainReport(
        checkpoint=str(out),
        map50=float(metrics.box.map50),
        map50_95=float(metrics.box.map),
        epochs=epochs,
        imgsz=imgsz,
        train_images=n_train,
        seconds=round(time.perf_counter() - start, 1),
    )


def validate_detector(
    checkpoint: Path, *, workdir: Path, n_images: int = 500, seed: int = 54321, imgsz: int = 160
) -> tuple[float, float]:
    """(mAP50, mAP50-95) of a checkpoint on freshly generated scenes (not the training seed)."""
    workdir = workdir.resolve()
    data = write_dataset(workdir / "data", n_train=0, n_val=n_images, seed=seed)
    model = yolo_class()(str(checkpoint.resolve()))
    metrics = model.val(
        data=str(data),
        imgsz=imgsz,
        batch=32,
        device=resolve_device("auto"),
        project=str(workdir / "runs"),
        name="val",
        exist_ok=True,
        plots=False,
        verbose=False,
    )
    return float(metrics.box.map50), float(metrics.box.map)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="where to write the checkpoint")
    parser.add_argument("--workdir", type=Path, required=True, help="dataset and run outputs")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--imgsz", type=int, default=160)
    parser.add_argument("--n-train", type=int, default=600)
    parser.add_argument("--n-val", type=int, default=150)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")


def run(args: argparse.Namespace) -> None:
    report = train_detector(
        args.out,
        workdir=args.workdir,
        epochs=args.epochs,
        imgsz=args.imgsz,
        n_train=args.n_train,
        n_val=args.n_val,
        batch=args.batch,
        seed=args.seed,
        device=args.device,
    )
    print(json.dumps(asdict(report), indent=2))
