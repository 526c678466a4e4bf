"""The engine lfadmin opens: errors never carry bound values (hashes, keys, tokens)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lfadmin.db import Database, parse_url
from tests.support.databases import LangflowDB


def test_errors_hide_bound_parameters(lfdb: LangflowDB) -> None:
    """SQLAlchemy's own message (``[parameters: ...]``) is where a bound value would show."""
    from sqlalchemy.exc import DBAPIError

    from lfadmin.errors import LfadminError

    db = Database(parse_url(lfdb.url))
    with pytest.raises((DBAPIError, LfadminError), match="nosuch") as exc, db.transaction(write=True) as conn:
        conn.execute(text('UPDATE "user" SET nosuch = :secret'), {"secret": "sk-SECRET-VALUE"})
    # SQLite's OperationalError becomes "cannot use ..." (exit 5); the original stays its context.
    sa_error = exc.value if isinstance(exc.value, DBAPIError) else exc.value.__context__
    assert isinstance(sa_error, DBAPIError)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(sa_error)
    assert "sk-SECRET-VALUE" not in str(exc.value) + str(sa_error)
    db.dispose()
