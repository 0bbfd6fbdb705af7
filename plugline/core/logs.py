"""JSON logs for production (LOG_FORMAT=json), with python-json-logger.

One object per line: `time` (ISO 8601, UTC), `level`, `logger`, `message`,
`request_id` (django-guid's id of the request being served, null outside a
request), any `extra` a caller gave and the traceback of an exception. The
`request` object Django's own loggers attach is left out: it would only
repeat the path, which the message names already, and could carry more.
"""

from __future__ import annotations

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FIELDS = ["levelname", "name", "message", "request_id"]


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        FIELDS,
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, "request"],
    )
