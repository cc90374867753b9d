"""Servers for side-by-side benchmarks: a git revision unpacked beside the working tree, each
served by its own uvicorn process (optionally pinned to CPU cores), and their CPU time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unpack(rev: str, into: Path) -> Path:
    """The `mmreward` package as it was at `rev`, under `into` (for PYTHONPATH)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "mmreward"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


@contextmanager
def serve(
    source: Path | None, env: dict[str, str] | None = None, cores: set[int] | None = None
) -> Iterator[tuple[str, int]]:
    """uvicorn serving mmreward from `source` (an unpacked revision) or the working tree;
    yields (url, pid) once `/readyz` answers 200. `cores` pins the server and, by
    inheritance, its sandbox workers."""
    port = free_port()
    environment = dict(os.environ, MMREWARD_SANDBOX_WORKERS="1", **(env or {}))
    environment["PYTHONPATH"] = str(source or ROOT)
    command = [sys.executable, "-m", "uvicorn", "--factory", "mmreward.service.app:create_app"]

    def pin() -> None:
        if cores is not None:
            os.sched_setaffinity(0, cores)

    # `python -m` puts the working directory first on sys.path: run where `source` is, or a
    # revision's server would import the working tree's package.
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        env=environment,
        cwd=source or ROOT,
        preexec_fn=pin,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"server from {source or 'working tree'} exited")
            time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of a process and each live descendant (sandbox workers), by pid."""
    found: dict[int, float] = {}
    waiting = [pid]
    while waiting:
        current = waiting.pop()
        try:
            found[current] = cpu_seconds(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                waiting += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found
