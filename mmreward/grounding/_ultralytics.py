"""Import ultralytics so that it never reaches the network.

Left alone, ultralytics checks for updates, downloads `Arial.ttf` for its plots, auto-installs
missing packages (even from inside `PIL.Image.open`), syncs settings/telemetry and resolves bare
weight names by downloading them.
Its switches are read at import time, so this module sets them first and is the only place in
mmreward that imports ultralytics.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

ASSETS = Path(__file__).resolve().parent / "assets"
FONT = ASSETS / "DejaVuSans.ttf"
# The names ultralytics looks up in its config dir before it tries a download.
_FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")
_INTEGRATIONS_OFF = {
    "sync": False,
    "clearml": False,
    "comet": False,
    "dvc": False,
    "mlflow": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
    "vscode_msg": False,
    "openvino_msg": False,
}
_ready = False


def _default_config_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"mmreward-ultralytics-{uid}"


def ultralytics_module() -> Any:
    """The `ultralytics` package, configured offline (idempotent)."""
    global _ready
    if not _ready:
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_AUTOINSTALL"] = "0"
        os.environ.setdefault("YOLO_CONFIG_DIR", str(_default_config_dir()))
        # Keep the caller's thread setting; ultralytics would force 1 when it is unset.
        os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
        import ultralytics  # noqa: F401  (registers the module in sys.modules)
        from ultralytics.utils import SETTINGS, USER_CONFIG_DIR, checks, events

        # Flags read at import time, in case something imported ultralytics before us.
        for module in (sys.modules["ultralytics.utils"], checks, events):
            for flag in ("ONLINE", "AUTOINSTALL"):
                if hasattr(module, flag):
                    setattr(module, flag, False)
        # It swaps PIL's Image.open for one that pip-installs a HEIF plugin on any unidentified
        # file: undo that, for every PIL user in the process.
        patches = sys.modules.get("ultralytics.utils.patches")
        if patches is not None and Image.open is getattr(patches, "image_open", None):
            Image.open = patches._image_open
        # Same reason: its config dir may be another one than ours; the font goes where it looks.
        config_dir = Path(USER_CONFIG_DIR)
        config_dir.mkdir(parents=True, exist_ok=True)
        for name in _FONT_NAMES:
            target = config_dir / name
            if not target.exists():
                shutil.copyfile(FONT, target)
        if any(SETTINGS.get(k) != v for k, v in _INTEGRATIONS_OFF.items()):
            SETTINGS.update(_INTEGRATIONS_OFF)  # type: ignore[no-untyped-call]
        _ready = True
    return sys.modules["ultralytics"]


def yolo_class() -> Any:
    """`ultralytics.YOLO`, after the offline setup."""
    return ultralytics_module().YOLO


def half_precision_args() -> dict[str, Any]:
    """Predict arguments for FP16 on CUDA (`half` became `quantize` in ultralytics 8.4)."""
    ultralytics_module()
    from ultralytics import cfg

    defaults: dict[str, Any] = vars(cfg)["DEFAULT_CFG_DICT"]
    return {"quantize": 16} if "quantize" in defaults else {"half": True}
