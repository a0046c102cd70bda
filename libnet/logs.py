"""Log lines for cron mail and journald: one line per event, with its fields as key=value.

Every line passes libnet.redact on its way out: a source URL in a message, a field or a
traceback shows no password or key. Once a command has set up its log, so does every record
of the libraries it uses (requests, httpx and oaipmh-scythe log whole URLs), wherever a
handler sends them.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from libnet.redact import redact_text

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """`2026-11-25T02:00:03Z INFO harvest finished library=marl run=12 added=3`."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ")
        extra = " ".join(
            f"{key}={_quote(value)}" for key, value in vars(record).items() if key not in _STANDARD
        )
        line = f"{stamp} {record.levelname} {record.getMessage()}"
        if extra:
            line += " " + extra
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact_text(line)


def _quote(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A log record factory whose records carry their message with secrets hidden."""

    def make_redacted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: logging reports it later
            return record
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return record

    make_redacted.redacts = True  # type: ignore[attr-defined]
    return make_redacted


def setup_logging(level: int = logging.INFO) -> None:
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts", False):
        logging.setLogRecordFactory(_redacting(factory))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger("libnet")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
