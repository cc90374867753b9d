"""Keys never reach the logs: uvicorn's access log writes each request's path with its query,
and OpenRLHF's only way to send a key is `/get_reward?api_key=KEY`."""

from __future__ import annotations

import logging
import re

_KEY_IN_QUERY = re.compile(r"([?&]api_key=)[^&#\s]*", re.IGNORECASE)


def redact_keys(text: str) -> str:
    """`text` with the value of every `api_key=` query parameter replaced by `***`."""
    return _KEY_IN_QUERY.sub(r"\1***", text)


class RedactKeys(logging.Filter):
    """Rewrites a record's message arguments (uvicorn's access log passes the path as one) and
    its message, so no handler or formatter downstream sees a key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_keys(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_keys(record.msg)
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install the filter once on the access logger (each server process builds its own app)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())
