"""``lfadmin backup create`` / ``restore``: a verified copy of Langflow's database, taken before
an upgrade (or any risky change) and put back exactly.

What each backend does is in its own module (``sqlite``: SQLite's online backup API;
``postgresql``: ``pg_dump -Fc`` / ``pg_restore``); the manifest beside each backup in
``manifest``. This module holds the rules an operator relies on (docs/backup.md):

* create never overwrites anything (an existing file or a link at PATH is refused), writes
  0600 files through the safe file layer, and records what it copied (release, alembic
  revision, source, size, SHA-256, row counts);
* restore changes nothing unless every check passed: the manifest is there and names this file,
  size and SHA-256 match, the release is one lfadmin knows, the backend is the target's, the
  backup is of this database (or ``other_database``), nothing else is using the target
  (or ``force``), and a target that holds data is replaced only with ``yes`` - by its
  superuser, authenticated as for any other write;
* afterwards the restored database is read back: its alembic revision and row counts must be
  the manifest's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lfadmin import __version__
from lfadmin.core.backup import postgresql, sqlite
from lfadmin.core.backup.manifest import MANIFEST_WHAT, WHAT, Manifest, counts, manifest_path, sha256_and_sync
from lfadmin.core.secrets.rotation import langflow_activity
from lfadmin.core.target import Target
from lfadmin.db import DatabaseURL, execute
from lfadmin.errors import DatabaseUnavailable, InvalidInput, LfadminError, Refused, UnsupportedDatabase
from lfadmin.files import new_file
from lfadmin.langflow.schema import Schema, detect, fmt

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["Created", "Manifest", "Restored", "create", "restore", "safeguard"]


@dataclass(frozen=True)
class Created:
    path: Path
    manifest_path: Path
    manifest: Manifest


@dataclass(frozen=True)
class Restored:
    path: Path
    database: str  # the target, masked
    manifest: Manifest
    replaced: dict[str, int] | None  # the target's row counts before (None: it was empty)
    dry_run: bool
    left_in_place: list[str]  # PostgreSQL: tables the backup does not hold, left as they were


def identity(url: DatabaseURL) -> str:
    """Which database a URL names: the SQLite file (resolved), or PostgreSQL host, port and name."""
    if url.backend == "sqlite":
        assert url.sqlite_path is not None
        return f"sqlite:{url.sqlite_path.resolve()}"
    return postgresql.identity(url)


def _tag(schema: Schema) -> str:
    """The release in a default file name: ``1.13.0``, ``1.12.3-1.12.8``."""
    if schema.newer_unknown:
        return "unknown"
    return fmt(schema.lo) if schema.lo == schema.hi else f"{fmt(schema.lo)}-{fmt(schema.hi)}"


def default_path(target: Target, schema: Schema, now: float) -> Path:
    """Beside the SQLite file; for PostgreSQL in Langflow's config dir. Named by release and time."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    url = target.db.url
    if url.sqlite_path is not None:
        db = url.sqlite_path
        return db.with_name(f"{db.stem}.backup-{_tag(schema)}-{stamp}{db.suffix or '.db'}")
    name = postgresql.database_name(url)
    return target.settings.config_dir / f"{name}.backup-{_tag(schema)}-{stamp}.pgdump"


def create(target: Target, path: Path | None = None) -> Created:
    """Back up the target's database to ``path`` (default: ``default_path``) and its manifest."""
    now = time.time()
    with target.session(write=False) as s:  # the invoker is authenticated: a backup holds every secret
        schema = s.schema
        rows = counts(s.conn)
    url = target.db.url
    path = path if path is not None else default_path(target, schema, now)
    mpath = manifest_path(path)
    # The manifest's file first: a file or link at either name is refused before any copying.
    with new_file(mpath, MANIFEST_WHAT) as mfile, new_file(path, WHAT) as data:
        if url.backend == "sqlite":
            assert url.sqlite_path is not None
            sqlite.copy_out(url.sqlite_path, data.tool_path)
            method = sqlite.METHOD
            schema, rows = sqlite.examine(data.tool_path)  # what the copy holds, exactly
        else:
            with _pg_snapshot(target) as (snapshot, conn):  # counts and dump: one snapshot
                schema, rows = detect(conn, "postgresql"), counts(conn)
                method = postgresql.dump(url, data.fd, snapshot)
        digest, size = sha256_and_sync(data.fd)
        manifest = Manifest(
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            lfadmin_version=__version__,
            backend=url.backend,
            langflow_release=schema.release_label,
            alembic_revision=schema.revision,
            database=url.masked,
            identity=identity(url),
            method=method,
            file=path.name,
            size=size,
            sha256=digest,
            counts=rows,
        )
        content = manifest.dumps()
        view = memoryview(content)
        while view:
            view = view[os.write(mfile.fd, view):]
    return Created(path, mpath, manifest)


def safeguard(target: Target, path: Path | None = None) -> Created:
    """The backup a write command takes before its transaction (``--backup PATH``; ``None``: the
    default path): ``create``, then the file read back against its manifest (size, SHA-256).
    Anything failing raises here, before the command opens its transaction: nothing is changed.
    A backup that fails its check is removed with its manifest, so no half-made file is trusted."""
    made = create(target, path)
    try:
        Manifest.load(made.path).verify(made.path)
    except LfadminError:
        for leftover in (made.path, made.manifest_path):
            with suppress(FileNotFoundError):
                leftover.unlink()
        raise
    return made


@contextmanager
def _pg_snapshot(target: Target) -> Iterator[tuple[str, Connection]]:
    """A repeatable-read transaction whose snapshot ``pg_dump --snapshot`` shares: the manifest's
    revision and counts are those of the very data dumped, while Langflow keeps writing."""
    db = target.db
    try:
        conn = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with conn, conn.begin():
            yield str(execute(conn, "SELECT pg_export_snapshot()").scalar_one()), conn
    finally:
        db.dispose()


def _target_state(target: Target) -> tuple[bool, str]:
    """Is the target database empty (nothing to lose), and its identity."""
    url = target.db.url
    if url.sqlite_path is not None:
        return sqlite.is_empty(url.sqlite_path), identity(url)
    with target.db.transaction(write=False) as conn:
        tables = execute(
            conn, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).scalar_one()
    target.db.dispose()
    return not tables, identity(url)


def restore(
    target: Target,
    path: Path,
    *,
    yes: bool = False,
    force: bool = False,
    other_database: bool = False,
    dry_run: bool = False,
) -> Restored:
    """Replace the target's database with the backup at ``path``; every check first (module doc)."""
    manifest = Manifest.load(path)
    manifest.verify(path)
    manifest.check_release()
    url = target.db.url
    if manifest.backend != url.backend:
        raise InvalidInput(
            f"{path} is a {manifest.backend} backup; the target database is {url.backend} ({url.masked})",
            hint="restore it into a database of its own kind",
        )
    if url.backend == "sqlite":  # the data itself, not only the manifest, says what it is
        schema, _ = sqlite.examine(path)
        if schema.newer_unknown:
            raise UnsupportedDatabase(
                f"{path} holds a schema newer than any Langflow lfadmin knows (alembic revision "
                f"{schema.revision}); refusing to restore it",
                hint="upgrade lfadmin, or restore with sqlite3 by hand",
            )
    empty, here = _target_state(target)
    if manifest.identity != here and not other_database:
        raise Refused(
            f"{path} is a backup of {manifest.database}, not of {url.masked}",
            hint="pass --other-database to restore it into this database anyway",
        )
    replaced: dict[str, int] | None = None
    actor = None  # an empty database has no superuser to ask
    if not empty:
        with target.session(write=False) as s:  # its superuser decides whether it may be replaced
            actor = s.actor
            replaced = counts(s.conn)
            seen = [] if force else langflow_activity(s)
        if seen:
            raise Refused(
                "Langflow (or something else) is using the database: " + "; ".join(seen[:3]),
                hint="stop every Langflow instance that uses it and rerun, or pass --force",
            )
        if not yes and not dry_run:
            raise Refused(
                f"{url.masked} holds {_n(replaced['users'], 'user')} and {_n(replaced['flows'], 'flow')}; "
                f"restoring replaces them all with the backup of {manifest.created_at}",
                hint="pass --yes to replace it",
            )
    if dry_run:
        return Restored(path, url.masked, manifest, replaced, True, [])
    with target.audited(f"database, from backup {path}", actor=actor, release=manifest.langflow_release):
        left = _put_back(target, path)
        target.on_commit()  # replaced: a failure from here on (the record's included) must say so
    _check_restored(target, manifest)
    if left:
        target.warn(
            f"tables the backup does not hold were left in place: {', '.join(left)} (made after the "
            "backup, by a newer release's migrations?); drop them before upgrading again"
        )
    return Restored(path, url.masked, manifest, replaced, False, left)


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _put_back(target: Target, path: Path) -> list[str]:
    """Restore; returns the tables left in place (PostgreSQL's ``--clean`` drops only what the
    archive holds; SQLite's backup API replaces the whole file)."""
    url = target.db.url
    if url.sqlite_path is None:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            held = postgresql.tables(url, fd)
            os.lseek(fd, 0, os.SEEK_SET)
            postgresql.restore(url, fd)
        finally:
            os.close(fd)
        with target.db.transaction(write=False) as conn:
            now = execute(
                conn,
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            ).scalars()
            left = sorted(set(now) - held)
        target.db.dispose()
        return left
    db = url.sqlite_path
    if db.exists():
        sqlite.copy_in(path, str(db), db)
        return []
    with new_file(db, "SQLite database") as fresh:  # a new database: 0600, never through a link
        sqlite.copy_in(path, fresh.tool_path, db)
    return []


def _check_restored(target: Target, manifest: Manifest) -> None:
    """Read the restored database back: the manifest's revision and row counts, or say so."""
    try:
        with target.session(write=False, authenticate=False) as s:
            revision, rows = s.schema.revision, counts(s.conn)
    except LfadminError as exc:
        raise DatabaseUnavailable(f"the restored database cannot be read back: {exc}") from None
    if revision != manifest.alembic_revision or rows != manifest.counts:
        raise DatabaseUnavailable(
            f"the restored database does not match its manifest (alembic revision {revision}, "
            f"counts {rows}; the manifest says {manifest.alembic_revision}, {manifest.counts})"
        )
