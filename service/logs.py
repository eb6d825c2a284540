"""Structured key=value logging for every process."""

from __future__ import annotations

import logging
import sys
import time


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = (
            f"ts={ts}.{int(record.msecs):03d}Z level={record.levelname.lower()} "
            f"proc={record.processName} logger={record.name} {record.getMessage()}"
        )
        if record.exc_info and record.levelno >= logging.ERROR:
            line += " exc=" + repr(self.formatException(record.exc_info))
        return line


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log is one line per request: too much for a daemon's main log.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
