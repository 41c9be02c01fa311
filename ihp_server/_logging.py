"""Structured (JSON lines) logging. Events carry fixed names and public fields only:
peer address, telemetry codes, versions, key ids — never key, nonce, password or
plaintext bytes, and never the request body."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

__all__ = ["LOGGER_NAME", "JsonFormatter", "configure_logging", "log_event"]

LOGGER_NAME = "ihp_server"
_logger = logging.getLogger(LOGGER_NAME)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", record.getMessage()),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__  # the type only: no locals
        return json.dumps(entry, separators=(",", ":"), sort_keys=False)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    _logger.handlers[:] = [handler]
    _logger.setLevel(level.upper())
    _logger.propagate = False
    logging.Formatter.converter = time.gmtime


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured event; `fields` must be public values (ints, short strings)."""
    _logger.log(level, event, extra={"event": event, "fields": fields})
