"""Worker processes forked from a fork server that never re-runs the caller's main script.

Why a fork server: a worker killed for a runaway item must be replaced at once. Spawning a fresh
interpreter and importing sympy costs seconds of CPU; forking the server, which imported sympy
and the verifiers once (`preload`), costs milliseconds. The server itself is a fresh interpreter,
so workers never inherit a parent that has torch loaded (which would make the memory limit
meaningless or immediately fatal).

Plain `spawn`/`forkserver` children re-import `__main__` so that functions defined there
unpickle. A training script without an `if __name__ == "__main__":` guard would then start
training again inside each sandbox worker. Sandbox jobs only ever name functions of importable
modules, so our workers skip that step; every other use of multiprocessing is left as it was.
"""

from __future__ import annotations

import threading
from multiprocessing import context, forkserver, popen_forkserver, spawn
from typing import Any

PRELOAD = ["mmreward.sandbox.worker"]
"""Imported once by the fork server: sympy and every module whose functions jobs name."""

_state = threading.local()
_standard_preparation = spawn.get_preparation_data


def _preparation_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _standard_preparation(name)
    if getattr(_state, "without_main", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


spawn.get_preparation_data = _preparation_data


class _WorkerProcess(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        _state.without_main = True
        try:
            return popen_forkserver.Popen(process_obj)
        finally:
            _state.without_main = False


class WorkerContext(context.ForkServerContext):
    """Pass as `mp_context`/`context` to a pool whose jobs never reference `__main__`."""

    Process = _WorkerProcess

    def __init__(self) -> None:
        super().__init__()
        # The fork server is one per process; the first one started decides what it preloads.
        forkserver.set_forkserver_preload(PRELOAD)
