"""``lfadmin db vacuum``: give the space deleted rows left behind back (docs/retention.md §3).

Deleting rows frees pages inside the database; neither backend hands them to the file system by
itself. SQLite's ``VACUUM`` rebuilds the file: it writes the live data to a temporary database
(in the temp directory) and back through the journal - in WAL mode the ``-wal`` file grows by as
much until the checkpoint that follows - so it needs about the live data's size free in both
places, and it holds the write lock for its whole run (a running server's writes wait). So it is
refused, politely and before anything happens, when the disk is too full or another process has
the file open (``--force``: run anyway). PostgreSQL's ``VACUUM ANALYZE`` runs outside any
transaction (PostgreSQL refuses it inside one) and blocks nobody; it makes the space reusable
inside the tables and refreshes the planner's statistics, but returns to the file system only
empty pages at a table's end (``VACUUM FULL`` would rewrite tables under an exclusive lock that
stops Langflow, so lfadmin never runs it).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.core.backup.sqlite import connect, failed, file_uri
from lfadmin.core.secrets.rotation import langflow_activity
from lfadmin.core.target import Target
from lfadmin.db import execute
from lfadmin.errors import Refused

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

PG_LOCK_TIMEOUT = "60s"  # a VACUUM that waits on another session's lock (DDL) gives up, in words


@dataclass(frozen=True)
class Vacuumed:
    backend: str
    database: str  # masked URL
    before: int  # bytes: SQLite main file + -wal; PostgreSQL pg_database_size
    after: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def reclaimed(self) -> int:
        return self.before - self.after

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "database_url": self.database,
            "bytes_before": self.before,
            "bytes_after": self.after,
            "bytes_reclaimed": self.reclaimed,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


def vacuum(target: Target, *, force: bool = False) -> Vacuumed:
    """VACUUM the target's database (SQLite) or VACUUM ANALYZE it (PostgreSQL), by an
    authenticated superuser; the space reclaimed is measured before and after."""
    with target.session(write=False) as s:
        target.check_write(s.schema)
        seen = langflow_activity(s) if s.backend == "sqlite" and not force else []
        live = _live_bytes(s.conn) if s.backend == "sqlite" else 0
        actor, release = s.actor, s.schema.release_label
    with target.audited("database (VACUUM)", actor=actor, release=release):
        done = _vacuum(target, seen, live)
        target.on_commit()  # vacuumed: a failure to record it must say so
        return done


def _vacuum(target: Target, seen: list[str], live: int) -> Vacuumed:
    url = target.db.url
    started = time.monotonic()
    if url.sqlite_path is None:
        before, after = _postgresql(target)
        notes = [] if after < before else [
            "PostgreSQL keeps the freed space inside its tables for new rows; the files shrink only "
            "where whole pages at a table's end were emptied"
        ]
        return Vacuumed("postgresql", url.masked, before, after, time.monotonic() - started, notes)
    if seen:
        raise Refused(
            "another process is using the database: " + "; ".join(seen[:3])
            + "; VACUUM holds SQLite's write lock for its whole run, so Langflow's writes would wait or fail",
            hint="stop Langflow and rerun, or pass --force to vacuum while it runs",
        )
    path = url.sqlite_path
    _check_space(path, live)
    before = _sqlite_size(path)
    notes = _sqlite(path)
    return Vacuumed("sqlite", url.masked, before, _sqlite_size(path), time.monotonic() - started, notes)


def _live_bytes(conn: Connection) -> int:
    """The bytes of SQLite pages in use (what VACUUM copies twice)."""
    pragma = {p: int(execute(conn, f"PRAGMA {p}").scalar_one()) for p in ("page_size", "page_count", "freelist_count")}
    return pragma["page_size"] * (pragma["page_count"] - pragma["freelist_count"])


def _sqlite_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _check_space(path: Path, live: int) -> None:
    """About ``live`` bytes free in the temp directory and again beside the database (its -wal)."""
    tmp = Path(tempfile.gettempdir())
    places = {path.resolve().parent: live}
    try:
        same = tmp.stat().st_dev == path.resolve().parent.stat().st_dev
    except OSError:
        same = False
    if same:
        places[path.resolve().parent] += live
    else:
        places[tmp] = live
    for where, need in places.items():
        free = shutil.disk_usage(where).free
        if free < need:
            raise Refused(
                f"VACUUM needs about {_mb(need)} free in {where} (the database's live data, copied "
                f"while it is rebuilt); only {_mb(free)} is free",
                hint="free some space (or set TMPDIR to a roomier directory) and rerun",
            )


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _sqlite(path: Path) -> list[str]:
    try:
        with closing(connect(file_uri(path.resolve(), mode="rw"))) as conn:
            conn.execute("VACUUM")
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError as exc:
        raise failed("cannot vacuum", path, exc) from None
    if busy and busy[0]:
        return ["another connection was reading: the -wal file shrinks at the next checkpoint"]
    return []


def _postgresql(target: Target) -> tuple[int, int]:
    size = "SELECT pg_database_size(current_database())"
    with target.db.connection(write=True) as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM cannot run in a transaction
        before = int(execute(conn, size).scalar_one())
        execute(conn, f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'")
        execute(conn, "VACUUM ANALYZE")
        after = int(execute(conn, size).scalar_one())
    target.db.dispose()
    return before, after
