"""Every URL form Langflow accepts maps to a synchronous driver; passwords never print."""

from __future__ import annotations

import pytest

from lfadmin.db import mask_url, parse_url
from lfadmin.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "driver", "backend"),
    [
        ("sqlite:////srv/langflow.db", "sqlite", "sqlite"),
        ("sqlite+aiosqlite:////srv/langflow.db", "sqlite", "sqlite"),
        ("postgresql://u:p@db/lf", "postgresql+psycopg", "postgresql"),
        ("postgresql+psycopg://u:p@db/lf", "postgresql+psycopg", "postgresql"),
        ("postgresql+asyncpg://u:p@db/lf", "postgresql+psycopg", "postgresql"),
        ("postgresql+psycopg2://u:p@db/lf", "postgresql+psycopg", "postgresql"),
    ],
)
def test_url_forms(raw: str, driver: str, backend: str) -> None:
    url = parse_url(raw)
    assert url.url.drivername == driver and url.backend == backend and url.warnings == ()


def test_postgres_scheme_works_with_a_warning() -> None:
    url = parse_url("postgres://u:secret@db/lf")
    assert url.backend == "postgresql"
    assert url.warnings == (
        "postgres:// URLs are refused by Langflow itself (SQLAlchemy has no 'postgres' dialect); "
        "use postgresql:// in the server's LANGFLOW_DATABASE_URL",
    )
    assert "secret" not in url.masked


def test_asyncpg_ssl_becomes_sslmode() -> None:
    assert parse_url("postgresql+asyncpg://u@db/lf?ssl=require").url.query == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a url", "not a database URL: 'not a url'"),
        ("mysql://u:hunter2@db/lf", "unsupported database 'mysql' in 'mysql://u:***@db/lf': lfadmin supports the databases Langflow runs on, SQLite and PostgreSQL"),
        ("sqlite://", "'sqlite://' names no SQLite file"),
    ],
)
def test_bad_urls(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_url(raw)
    assert str(exc.value) == message


def test_mask_unparsable_url_still_hides_password() -> None:
    assert mask_url("weird://user:hunter2@host:x:y/db") == "weird://user:***@host:x:y/db"
