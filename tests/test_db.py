"""The engine lfadmin opens: errors never carry bound values (hashes, keys, tokens)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lfadmin.db import Database, parse_url
from tests.conftest import LangflowDB


def test_errors_hide_bound_parameters(lfdb: LangflowDB) -> None:
    db = Database(parse_url(lfdb.url))
    with pytest.raises(Exception) as exc, db.transaction(write=True) as conn:
        conn.execute(text('UPDATE "user" SET nosuch = :secret'), {"secret": "sk-SECRET-VALUE"})
    assert "sk-SECRET-VALUE" not in str(exc.value)
    assert "sk-SECRET-VALUE" not in repr(exc.value.__cause__ or exc.value.__context__)
    db.dispose()
