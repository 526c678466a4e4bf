"""Database URLs, engines, the one transaction every command runs in, and ``execute``.

Dialect notes (why each knob is set):
- Langflow accepts ``sqlite``, ``sqlite+aiosqlite``, ``postgresql``, ``postgresql+psycopg``,
  ``postgresql+asyncpg`` (docs/langflow/settings.md §8). lfadmin is synchronous: async drivers map to
  pysqlite / psycopg 3. ``postgres://`` is refused by every Langflow release (SQLAlchemy has no
  ``postgres`` dialect); we accept it with a warning so an operator can still inspect the data.
- SQLite: Langflow keeps its database in WAL mode with ``busy_timeout=30000`` (1.10+). We wait
  longer than that, never change the journal mode, never enable ``foreign_keys`` (Langflow never
  does, so enabling it would make our deletes behave unlike Langflow's), and open the file with
  ``mode=rw`` so a mistyped path is an error instead of a new empty database. Writes take the
  lock up front (``BEGIN IMMEDIATE``) so two writers queue instead of deadlocking on upgrade.
- PostgreSQL: Langflow connects with ``options=-c timezone=utc``; we do the same so naive and
  aware timestamps mean UTC on both ``timestamp`` and ``timestamptz`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin import redact
from lfadmin.errors import Conflict, DatabaseUnavailable, InvalidInput, LfadminError, UnsupportedDatabase
from lfadmin.redact import mask_url

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, CursorResult, Engine
    from typing_extensions import Unpack

SQLITE_BUSY_TIMEOUT_MS = 60_000  # Langflow 1.10+ waits 30 s; outwait it
PG_CONNECT_TIMEOUT_S = 10

_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_PG_DRIVERS = {
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+asyncpg",
    "postgresql+pg8000",
    "postgres",
}


def execute(conn: Connection, sql: str, /, **params: Any) -> CursorResult[Unpack[tuple[Any, ...]]]:
    """Run one SQL statement with bound ``:name`` parameters - all of lfadmin's SQL is text,
    written for both SQLite and PostgreSQL (``Codec`` converts the values)."""
    from sqlalchemy import text

    return conn.execute(text(sql), params)


@dataclass(frozen=True)
class DatabaseURL:
    url: URL
    backend: str  # "sqlite" | "postgresql"
    warnings: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        return mask_url(self.url.render_as_string(hide_password=False))

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.url.database) if self.backend == "sqlite" and self.url.database else None


_HOST = re.compile(r"[A-Za-z0-9._~,:%\[\]-]*")
_PARAM = re.compile(r"[A-Za-z0-9_.-]+")


def _plausible(url: URL) -> bool:
    """Could a person have meant this reading of a URL (no '@' where none can be)?

    A user name with an '@' (Azure's ``user@server``) counts as doubtful too: the reading that
    ends the user info at the last '@' gives the same user when that is all there is."""
    return (
        "@" not in (url.username or "")
        and bool(_HOST.fullmatch(url.host or ""))
        and "@" not in (url.database or "")
        and all(_PARAM.fullmatch(k) for k in url.query)
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]


def refusal(exc: Exception, backend: str) -> LfadminError | None:
    """A database error that is the schema's or a value's fault, not the server's availability.

    Only the first line of the driver's text is quoted, and only where it names identifiers;
    a rejected value's text (which PostgreSQL quotes: 'invalid input syntax ... "<value>"') is
    never shown, only its class and SQLSTATE.
    """
    from sqlalchemy.exc import DataError, IntegrityError

    orig = getattr(exc, "orig", exc)
    detail = _first_line(orig)
    state = getattr(orig, "sqlstate", None)
    if state in ("42703", "42P01") or (
        backend == "sqlite" and detail.startswith(("no such column:", "no such table:"))
    ):  # undefined_column, undefined_table: a schema altered by hand
        return UnsupportedDatabase(
            f"unsupported schema: {detail}",
            hint="the schema was altered outside Langflow; restore it from Langflow's migrations",
        )
    if isinstance(exc, DataError):
        if "NUL (0x00)" in detail:  # psycopg refuses it before sending anything
            return InvalidInput(
                "a text value contains a NUL character, which PostgreSQL cannot store; "
                "nothing was changed"
            )
        return InvalidInput(
            f"the database refused a value as invalid for its column ({type(orig).__name__}"
            + (f", SQLSTATE {state}" if state else "")
            + "); nothing was changed"
        )
    if isinstance(exc, IntegrityError):  # a race with another writer, or a hand-made row
        return Conflict(f"the database refused the change: {detail}; nothing was changed")
    return None


def parse_url(raw: str) -> DatabaseURL:
    """``raw`` as SQLAlchemy reads it, except that the user info ends at the *last* ``@``: a
    password with an unencoded ``@`` reaches the right host instead of a host made of its tail."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    redact.register_url(raw)
    # make_url ends the user info at the first '@'. When that reading is implausible (a host
    # with an '@' or a '$', a parameter name with an '@'), an '@' was left unencoded, most
    # often in a password: try each '@' as the end of the user info, the last first.
    url = None
    for candidate in [raw, *redact.readings(raw)]:
        try:
            parsed = make_url(candidate)
        except (ArgumentError, ValueError):
            continue
        url = url or parsed
        if _plausible(parsed):
            url = parsed
            break
    if url is None:
        raise InvalidInput(f"not a database URL: {mask_url(raw)!r}")
    redact.register_url(url.render_as_string(hide_password=False))  # the secrets as read
    warnings: list[str] = []
    driver = url.drivername
    if driver in _SQLITE_DRIVERS:
        if not url.database or url.database == ":memory:":
            raise InvalidInput(f"{mask_url(raw)!r} names no SQLite file")
        return DatabaseURL(url.set(drivername="sqlite"), "sqlite")
    if driver in _PG_DRIVERS:
        if driver == "postgres":
            warnings.append(
                "postgres:// URLs are refused by Langflow itself (SQLAlchemy has no 'postgres' "
                "dialect); use postgresql:// in the server's LANGFLOW_DATABASE_URL"
            )
        query = dict(url.query)
        if "ssl" in query and "sslmode" not in query:  # asyncpg spelling -> libpq spelling
            query["sslmode"] = query.pop("ssl")
        return DatabaseURL(
            url.set(drivername="postgresql+psycopg", query=query), "postgresql", tuple(warnings)
        )
    raise InvalidInput(
        f"unsupported database {driver!r} in {mask_url(raw)!r}: lfadmin supports the databases "
        "Langflow runs on, SQLite and PostgreSQL"
    )


class Database:
    """An engine for one command; ``transaction()`` is the command's single transaction."""

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.backend = url.backend
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        if self.backend == "sqlite":
            path = self.url.sqlite_path
            assert path is not None
            if not path.exists():
                raise DatabaseUnavailable(
                    f"no SQLite database at {path} (lfadmin never creates one)",
                    hint="check the path, or point at the server's database with --database-url",
                )
            if path.is_dir():
                raise DatabaseUnavailable(f"{path} is a directory, not a SQLite database")
            uri = f"sqlite:///file:{path.resolve()}?mode=rw&uri=true"
            engine = create_engine(
                uri,
                poolclass=NullPool,
                hide_parameters=True,  # bound values are hashes, keys, tokens: never in an error
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            )

            @event.listens_for(engine, "connect")
            def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
                dbapi_conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

            @event.listens_for(engine, "begin")
            def _begin(conn):  # type: ignore[no-untyped-def]
                write = conn.get_execution_options().get("lfadmin_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

            return engine
        return create_engine(
            self.url.url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args={"options": "-c timezone=utc", "connect_timeout": PG_CONNECT_TIMEOUT_S},
        )

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        """One transaction: committed when the block ends normally, rolled back on any error."""
        with self.connection(write=write) as conn, conn.begin():
            yield conn

    @contextmanager
    def connection(self, *, write: bool) -> Iterator[Connection]:
        """One connection, the database's errors mapped as for ``transaction``; the caller runs
        its transactions on it (``with conn.begin():``). Only ``db prune`` commits more than once
        per command, each batch in its own short transaction (docs/retention.md §2)."""
        from sqlalchemy.exc import DatabaseError, OperationalError

        try:
            conn = self.engine.connect().execution_options(lfadmin_write=write)
        except OperationalError as exc:
            raise self._unavailable(exc) from None
        except DatabaseError as exc:
            raise self._not_a_database(exc) from None
        try:
            with conn:
                yield conn
        except DatabaseError as exc:
            mapped = refusal(exc, self.backend) or self._refused_privilege(exc, write=write)
            if mapped is not None:
                raise mapped from None
            if isinstance(exc, OperationalError):
                raise self._unavailable(exc) from None
            if self.backend == "sqlite" and "not a database" in str(exc.orig):
                raise self._not_a_database(exc) from None
            raise

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _unavailable(self, exc: Exception) -> Exception:
        detail = _first_line(getattr(exc, "orig", exc))
        # sqlite3 quotes a stored value it cannot decode ("... with text '<value>'"): maybe a secret.
        detail = detail.split(" with text '", 1)[0]
        detail = redact.scrub(detail)  # a driver may quote the password or the URL's parts
        if self.backend == "sqlite" and "locked" in detail:
            return DatabaseUnavailable(
                f"{self.url.masked} stayed locked for {SQLITE_BUSY_TIMEOUT_MS // 1000} s: "
                "another process is writing to it"
            )
        if self.backend == "sqlite" and "not a database" in detail:
            return self._not_a_database(exc)
        return DatabaseUnavailable(f"cannot use {self.url.masked}: {detail}")

    def _refused_privilege(self, exc: Exception, *, write: bool) -> LfadminError | None:
        """PostgreSQL's "permission denied for table T", with the privileges the role lacks on T.

        The error does not say which privilege was missing, and the failed transaction can ask
        nothing more: a fresh connection asks ``has_table_privilege`` (exit 5, like any database
        lfadmin cannot use as it must)."""
        orig = getattr(exc, "orig", None)
        if orig is None or getattr(orig, "sqlstate", None) != "42501":  # insufficient_privilege
            return None
        detail = _first_line(orig)
        table = detail.partition("permission denied for table ")[2]
        needed = ["SELECT", "INSERT", "UPDATE", "DELETE"] if write else ["SELECT"]
        role, lacking = self.url.url.username or "?", needed
        if table:
            with suppress(Exception):  # without the list, the message is still right
                role, lacking = self._lacking(table, needed)
        refused = f"lacks {', '.join(lacking)} on table {table!r}" if table and lacking else "was refused"
        return DatabaseUnavailable(
            f"the database role {role!r} {refused}: {detail}",
            hint=f"lfadmin {'writes' if write else 'reads'} Langflow's tables with "
            f"{', '.join(needed)}; GRANT {', '.join(needed)} ON ALL TABLES IN SCHEMA <schema> TO {role}",
        )

    def _lacking(self, table: str, needed: list[str]) -> tuple[str, list[str]]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            checks = ", ".join(f"has_table_privilege(CAST(:t AS regclass), '{p}')" for p in needed)
            row = conn.execute(
                text(f"SELECT current_user, {checks}"),
                {"t": conn.dialect.identifier_preparer.quote(table)},
            ).one()
        return str(row[0]), [p for p, ok in zip(needed, row[1:], strict=True) if not ok]

    def _not_a_database(self, exc: Exception) -> Exception:
        return UnsupportedDatabase(f"{self.url.masked} is not a SQLite database")
