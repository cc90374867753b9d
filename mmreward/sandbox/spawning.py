"""A `spawn` start method that does not re-run the caller's main script in the workers.

Plain `spawn` re-imports `__main__` in every child so that functions defined there unpickle. A
training script without an `if __name__ == "__main__":` guard would then start training again
inside each sandbox worker. Sandbox jobs only ever name functions of importable modules, so our
workers skip that step; every other use of multiprocessing in the process is left as it was.
"""

from __future__ import annotations

import threading
from multiprocessing import context, popen_spawn_posix, spawn
from typing import Any

_state = threading.local()
_standard_preparation = spawn.get_preparation_data


def _preparation_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _standard_preparation(name)
    if getattr(_state, "without_main", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


spawn.get_preparation_data = _preparation_data


class _WorkerProcess(context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        _state.without_main = True
        try:
            return popen_spawn_posix.Popen(process_obj)
        finally:
            _state.without_main = False


class WorkerContext(context.SpawnContext):
    """Pass as `mp_context`/`context` to a pool whose jobs never reference `__main__`."""

    Process = _WorkerProcess
