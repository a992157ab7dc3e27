"""Structured logs: one JSON object per line, with the `extra=` fields of each call.

Logs must never hold what a person typed (reasons, information, the record). The code logs
identifiers only, and this formatter is the backstop: fields are bounded, and exceptions are
logged as their type and stack frames, never their message (a driver's message can quote the
value it choked on). For a database error the SQL statement and the driver's error class are
kept: the statement is code, and SQLAlchemy's `hide_parameters` keeps values out of it.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# aiohttp's access log attaches every request header (Authorization included): never logged.
_WITHHELD = {"request_header", "response_header"}

MAX_MESSAGE = 500  # a log message is a constant sentence plus identifiers
MAX_FIELD = 200  # an identifier, a verb, a count: 200 characters is plenty
MAX_TRACE = 8000


def bounded(value: str, limit: int) -> str:
    return value if len(value) <= limit else f"{value[:limit]}…(+{len(value) - limit} chars)"


def _describe(e: BaseException) -> str:
    """`module.Type`, plus for a database error its SQL and the driver's error class."""
    name = f"{type(e).__module__}.{type(e).__qualname__}"
    try:
        from sqlalchemy.exc import StatementError

        if isinstance(e, StatementError):
            orig = getattr(e, "orig", None)
            parts = [name]
            if orig is not None:
                parts.append(f"orig={type(orig).__module__}.{type(orig).__qualname__}")
                code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
                if code:
                    parts.append(f"code={code}")
            if e.statement:
                parts.append(f"sql={bounded(' '.join(str(e.statement).split()), 300)}")
            return " ".join(parts)
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        pass
    return name


def format_exception(exc: BaseException, tb: TracebackType | None) -> str:
    """Stack frames and exception types of the whole chain; no exception messages."""
    chain: list[tuple[BaseException, TracebackType | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    current_tb = tb
    while current is not None and id(current) not in seen and len(chain) < 5:
        seen.add(id(current))
        chain.append((current, current_tb))
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        current, current_tb = nxt, (nxt.__traceback__ if nxt is not None else None)
    parts: list[str] = []
    for e, e_tb in reversed(chain):
        frames = "".join(
            f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in traceback.extract_tb(e_tb)
        )
        parts.append(f"Traceback (most recent call last):\n{frames}{_describe(e)} (message withheld)")
    return bounded("\nThe above caused:\n".join(parts), MAX_TRACE)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": bounded(record.getMessage(), MAX_MESSAGE),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _WITHHELD and not key.startswith("_"):
                if isinstance(value, bool | int | float | None):
                    entry[key] = value
                else:
                    entry[key] = bounded(str(value), MAX_FIELD)
        if record.exc_info and record.exc_info[1] is not None:
            entry["exc"] = format_exception(record.exc_info[1], record.exc_info[2])
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The SDK and aiohttp's access log are chatty at INFO.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("msal").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # SQLAlchemy's echo logs statements with their parameters: never above WARNING.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
