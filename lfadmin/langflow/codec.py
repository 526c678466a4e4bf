"""The codec between Python values and the column values Langflow writes, per backend (docs/langflow/storage.md §1).

``Codec(backend)`` encodes what lfadmin binds and decodes what it reads, in one place. Langflow
writes through SQLModel/SQLAlchemy, so these are SQLAlchemy's own encodings:

- UUID: SQLite ``CHAR(32)`` holding 32 lowercase hex digits, no dashes (SQLAlchemy's ``Uuid``
  type on a backend without a native one); PostgreSQL native ``uuid``.
- Booleans: SQLite INTEGER 0/1; PostgreSQL ``boolean``.
- Datetimes: SQLite TEXT ``%Y-%m-%d %H:%M:%S.%f`` in UTC wall-clock without offset, always six
  microsecond digits (SQLAlchemy's SQLite DATETIME format, tzinfo dropped without conversion).
  Langflow and SQLite compare these as strings, so any other spelling sorts wrong.
  PostgreSQL: aware UTC datetimes; the session runs with ``timezone=utc`` (see ``lfadmin.db``),
  so they land right in both ``timestamp`` and ``timestamptz`` columns.
- JSON: ``json.dumps`` with default separators on both (PostgreSQL casts the text to ``json``).
"""

from __future__ import annotations

import json
import uuid as _uuid
from datetime import datetime as _datetime
from datetime import timezone
from typing import Any

from lfadmin.errors import UnsupportedDatabase

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def utcnow() -> _datetime:
    return _datetime.now(timezone.utc)


def iso(value: _datetime | None) -> str | None:
    """A timestamp for --json output (ISO 8601, offset included), or None."""
    return value.isoformat() if value else None


class Codec:
    """Python values <-> the column values Langflow writes, for one backend."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.sqlite = backend == "sqlite"

    # -- writing ------------------------------------------------------------------------------
    def uuid(self, value: _uuid.UUID) -> Any:
        return value.hex if self.sqlite else value

    def datetime(self, value: _datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.strftime(SQLITE_DATETIME) if self.sqlite else value

    def boolean(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def json(self, value: Any) -> str:
        return json.dumps(value)

    def text_storable(self, value: str) -> bool:
        """Whether a text column can hold ``value`` as it is: PostgreSQL's text cannot hold NUL
        (psycopg refuses it; a server-side error would quote the value), SQLite's can. Callers
        refuse such a value by name before writing it."""
        return self.sqlite or "\x00" not in value

    # -- reading ------------------------------------------------------------------------------
    # A stored value no Langflow writes (a row edited by hand) is the database's problem, not a
    # bug: exit 6, and the value is not quoted (it is the operator's data).

    @staticmethod
    def read_uuid(value: Any) -> _uuid.UUID:
        if isinstance(value, _uuid.UUID):
            return value
        try:
            return _uuid.UUID(str(value))
        except ValueError:
            raise UnsupportedDatabase(
                "a stored id is not a UUID: a row was written by something other than Langflow"
            ) from None

    @staticmethod
    def read_datetime(value: Any) -> _datetime | None:
        """Aware UTC datetime from whatever the column holds (naive values are UTC)."""
        if value is None or value == "":
            return None
        try:
            if isinstance(value, str):
                value = _datetime.fromisoformat(value.replace("Z", "+00:00"))
            if not isinstance(value, _datetime):
                raise TypeError(type(value).__name__)
        except (TypeError, ValueError):
            raise UnsupportedDatabase(
                "a stored timestamp is not a date and time: a row was written by something other than Langflow"
            ) from None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    @staticmethod
    def read_bool(value: Any) -> bool:
        return bool(value)
