"""The detector never reaches the network: loading, predicting and training, in a fresh process.

ultralytics swallows failed network calls, so a guard that only raised would let this test pass
even if it tried; the guard records every non-loopback connect and DNS lookup instead.
"""

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import json, socket, sys
    attempts = []
    LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", ""}

    def host_of(address):
        return address[0] if isinstance(address, tuple) else str(address)

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family != socket.AF_UNIX and host_of(address) not in LOCAL:
            attempts.append(("connect", repr(address)))
            raise OSError("network disabled by test")
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family != socket.AF_UNIX and host_of(address) not in LOCAL:
            attempts.append(("connect_ex", repr(address)))
            return 111
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL and host is not None:
            attempts.append(("getaddrinfo", str(host)))
            raise socket.gaierror("network disabled by test")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo

    from pathlib import Path
    import numpy as np, torch
    from mmreward.grounding._ultralytics import ultralytics_module, yolo_class
    from mmreward.grounding.detector import YoloDetector
    from mmreward.grounding.synthetic import generate_scene
    from mmreward.grounding.train import train_detector
    from mmreward.grounding.vocab import COCO_CLASSES

    work = Path(sys.argv[1])
    scene = generate_scene(np.random.default_rng(0), min_shapes=2)
    bundled = YoloDetector()
    found = bundled.detect([scene.image])[0]
    bundled.close()

    model = yolo_class()("yolov8n.yaml")
    model.model.names = dict(enumerate(COCO_CLASSES))
    torch.save({"model": model.model, "train_args": {}}, work / "coco.pt")
    coco = YoloDetector(work / "coco.pt")
    coco.detect([scene.image])
    coco.close()

    from ultralytics.utils.checks import check_font
    font = check_font("Arial.ttf")

    report = train_detector(
        work / "tiny.pt", workdir=work / "train", epochs=1, imgsz=64, n_train=8, n_val=4, batch=4
    )
    print(json.dumps({
        "attempts": attempts,
        "detections": len(found),
        "font": str(font),
        "trained": Path(report.checkpoint).is_file(),
    }))
    """
)


def test_no_outbound_connections_while_loading_predicting_and_training(tmp_path):
    config_dir = tmp_path / "yolo-config"  # empty: no font there until we put one
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "YOLO_CONFIG_DIR": str(config_dir),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["attempts"] == []
    assert result["detections"] >= 1
    assert result["font"].startswith(str(config_dir))
    assert result["trained"]
    assert not (tmp_path / ".config" / "Ultralytics").exists()  # settings stay in config_dir
