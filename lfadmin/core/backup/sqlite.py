"""SQLite backups through SQLite's own online backup API (``sqlite3.Connection.backup``).

Why the backup API and not a file copy: Langflow keeps its database in WAL mode, so the main file
alone is not the database while a server runs (committed pages wait in ``-wal``). The backup API
reads one consistent snapshot through SQLite's locks - in WAL mode a reader never blocks the
server's writers, nor they it - and copies it in one step (``pages=-1``: a step-wise copy
restarts whenever another connection writes, and under a busy server might never finish).

Restore writes back through the same API into the live file, as one SQLite transaction on it:
atomic under SQLite's own locks and journal (a crash leaves the old or the new database, never a
mix), whatever ``-wal``/``-shm`` hold, keeping the file's inode, owner, group and mode (a root run
does not hand the service user's database to root). Replacing the file by ``rename`` instead
would leave a running server writing into the unlinked old file and, worse, replaying its old
``-wal`` into the new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from lfadmin.core.backup.manifest import counts
from lfadmin.db import SQLITE_BUSY_TIMEOUT_MS
from lfadmin.errors import DatabaseUnavailable, InvalidInput, UnsupportedDatabase
from lfadmin.langflow.schema import Schema, detect

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

METHOD = "sqlite3 online backup API"


def file_uri(path: str | Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path))}?{query}"


def connect(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return conn


def copy_out(source: Path, dest: str) -> None:
    """The database at ``source`` as it is now (one snapshot), into the new file ``dest``.

    The source is opened ``mode=rw`` as lfadmin opens it for reading anywhere (``lfadmin.db``):
    a read-only connection could not remove the ``-wal``/``-shm`` it made on closing.
    The destination is a temp file the caller fsyncs and links into place: it needs no journal
    of its own (``journal_mode=OFF``, ``synchronous=OFF``), which keeps the copy as fast as
    ``sqlite3 .backup``."""
    try:
        with closing(connect(file_uri(source.resolve(), mode="rw"))) as src, closing(connect(file_uri(dest))) as dst:
            dst.execute("PRAGMA journal_mode = OFF")
            dst.execute("PRAGMA synchronous = OFF")
            src.backup(dst, pages=-1)
    except sqlite3.DatabaseError as exc:
        raise failed("cannot back up", source, exc) from None


def copy_in(backup: Path, target: str, what: Path) -> None:
    """The backup at ``backup`` into the database at ``target``, as one transaction on it."""
    try:
        with closing(connect(file_uri(backup.resolve(), mode="ro", immutable="1"))) as src, closing(
            connect(file_uri(target, mode="rw"))
        ) as dst:
            src.backup(dst, pages=-1)
    except sqlite3.DatabaseError as exc:
        raise failed("cannot restore into", what, exc) from None


def failed(doing: str, path: Path, exc: sqlite3.DatabaseError) -> Exception:
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "not a database" in detail:
        return UnsupportedDatabase(f"{path} is not a SQLite database")
    if "readonly" in detail:
        return InvalidInput(f"{doing} {path}: {detail}", hint="make it writable (chmod u+w)")
    if "locked" in detail or "busy" in detail:
        return DatabaseUnavailable(
            f"{doing} {path}: it stayed locked for {SQLITE_BUSY_TIMEOUT_MS // 1000} s "
            "(another process is writing to it)"
        )
    return DatabaseUnavailable(f"{doing} {path}: {detail}")


@contextmanager
def reading(path: str | Path) -> Iterator[Connection]:
    """A read-only SQLAlchemy connection to a backup file, changing nothing: ``immutable`` opens
    it without locks, ``-wal`` or ``-shm`` (nothing else writes a backup)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DatabaseError
    from sqlalchemy.pool import NullPool

    uri = file_uri(path, mode="ro", immutable="1")
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    except DatabaseError as exc:
        if "not a database" in str(exc.orig):
            raise UnsupportedDatabase(f"{path} is not a SQLite database") from None
        raise
    finally:
        engine.dispose()


def examine(path: str | Path) -> tuple[Schema, dict[str, int]]:
    """The Langflow schema of a SQLite backup, and its row counts."""
    with reading(path) as conn:
        schema = detect(conn, "sqlite")
        return schema, counts(conn)


def is_empty(path: Path) -> bool:
    """No database yet at ``path``, or one without a single table (a new, empty file)."""
    try:
        if path.stat().st_size == 0:
            return True
    except FileNotFoundError:
        return True
    try:
        with closing(connect(file_uri(path.resolve(), mode="rw"))) as conn:
            return not conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise failed("cannot read", path, exc) from None
