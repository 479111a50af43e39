"""Logging configured as `healthpay` configures it, into a buffer, for one test; put back after."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator

from bot.logging_setup import configure_logging, reset_logging


@contextlib.contextmanager
def captured_logs(level: str = "DEBUG", log_format: str = "json") -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    saved = root.level, httpx.level
    configure_logging(level, log_format, stream=buffer)
    try:
        yield buffer
    finally:
        reset_logging()
        root.setLevel(saved[0])
        httpx.setLevel(saved[1])


def json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]
