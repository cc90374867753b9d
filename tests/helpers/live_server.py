"""A real uvicorn server on a free loopback port, for tests that need true HTTP."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`with LiveServer(app) as url:` serves `app` from a background thread."""

    def __init__(self, app: Any, log_level: str = "warning") -> None:
        import uvicorn

        from mmreward.service.server import HeaderTimeoutProtocol

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_level=log_level,
                http=HeaderTimeoutProtocol,  # as `mmreward serve` runs
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
