"""The one way into core: a ``Target`` says where a command acts and who invokes it; its
``session()`` opens one transaction on that database (settings, engine, schema) with the invoker
authenticated.

Core functions take what they need as arguments; the callbacks (``warn``, ``note``,
``on_commit``) are how core talks back to whoever called it - the CLI prints, a script may not.

Every write session leaves one record in the audit trail (``lfadmin.core.audit.record``): before
the commit when it succeeds, after the rollback when it fails (authentication included); a dry
run leaves none. ``command`` is what the record calls the command (the CLI passes its path).
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lfadmin.core import auth
from lfadmin.core.actor import Actor, Credentials
from lfadmin.core.audit import record
from lfadmin.core.audit.trail import AuditUnavailable
from lfadmin.core.session import AuditNote, Session
from lfadmin.db import Database, parse_url
from lfadmin.errors import ExitCode, InvalidInput, OutputFailed, UnsupportedDatabase
from lfadmin.langflow.codec import Codec
from lfadmin.langflow.env import Environment
from lfadmin.langflow.schema import Schema, detect, fmt, parse_version
from lfadmin.langflow.settings import LangflowSettings


def _ignore(_: str) -> None:
    return None


def _nothing() -> None:
    return None


@dataclass
class Target:
    """Where a command acts: the settings it reads, the database they point at, and who acts.

    ``creds``: what the invoker supplied, authenticated by ``session()`` (None: nothing given,
    which still authenticates under AUTO_LOGIN); or a function that reads them (stdin, a prompt),
    called once, when the first session opens - so a command's own checks of its input come first,
    as they did when the CLI read credentials only on opening the transaction.
    ``warn``: warnings for the operator; ``note``: remarks, whole lines (the CLI silences them
    under --quiet); ``on_commit``: called after each write transaction commits (the CLI then
    knows a later failure must say so). ``command``: how the audit trail names the command
    (``"user promote"``)."""

    env_file: Path | None = None
    database_url: str | None = None
    langflow_version: str | None = None
    force_unknown_schema: bool = False
    creds: Credentials | Callable[[], Credentials] | None = None
    warn: Callable[[str], None] = _ignore
    note: Callable[[str], None] = _ignore
    on_commit: Callable[[], None] = _nothing
    command: str | None = None
    _settings: LangflowSettings | None = field(default=None, init=False, repr=False)
    _db: Database | None = field(default=None, init=False, repr=False)
    db_source: str = field(default="", init=False)

    @property
    def settings(self) -> LangflowSettings:
        if self._settings is None:
            self._settings = LangflowSettings(Environment.load(self.env_file), self.database_url)
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            raw, self.db_source = self.settings.database_url()
            url = parse_url(raw)
            for w in url.warnings:
                self.warn(w)
            self._db = Database(url)
        return self._db

    @contextmanager
    def session(self, *, write: bool, authenticate: bool = True, dry_run: bool = False) -> Iterator[Session]:
        """One transaction (rolled back on error) with the invoker authenticated first
        (``authenticate=False``: commands that need no superuser, or authenticate their own way).

        A write session is audited (docs/audit.md): its record is written before the commit -
        a trail that cannot take it rolls the change back - or, on failure, after the rollback.
        ``dry_run``: a write transaction that only shows what it would do (rolled back by its
        command): no record.

        Output that fails inside a write transaction (a key shown once) rolls it back: the
        ``OutputFailed`` says so."""
        if authenticate and callable(self.creds):
            self.creds = self.creds()
        audited = write and not dry_run
        audit_note = AuditNote(command=self.command)
        opened: list[Session] = []
        try:
            with self._transaction(write=write, audit_note=audit_note) as s:
                opened.append(s)
                if authenticate:
                    s.actor = auth.authenticate(s, self.creds if isinstance(self.creds, Credentials) else Credentials())
                    if s.actor.method == "auto-login":
                        self.note(f"note: {s.actor.rule}")
                yield s
                if audited:
                    record.command_done(s)
        except OutputFailed as exc:
            if write:  # printed inside the transaction (a key shown once): it was rolled back
                exc.broken_pipe = False
                exc.exit_code = ExitCode.OUTPUT_FAILED
                exc.message += "; rolled back, nothing was changed"
            if audited:
                self._failed(audit_note, opened, exc)
            raise
        except GeneratorExit:
            raise
        except BaseException as exc:
            if audited and not isinstance(exc, AuditUnavailable):
                self._failed(audit_note, opened, exc)
            raise
        if write:
            self.on_commit()

    def check_write(self, schema: Schema) -> None:
        """Refuse what a write session refuses: a read-only SQLite file, a schema newer than any
        release lfadmin knows (unless --force-unknown-schema). For a command that reads in one
        session and writes in others of its own (``db prune``'s batches)."""
        _refuse_read_only_sqlite(self.db)
        if schema.newer_unknown and not self.force_unknown_schema:
            raise UnsupportedDatabase(
                f"this database's schema is newer than any Langflow lfadmin knows "
                f"(alembic revision {schema.revision}); refusing to write",
                hint="upgrade lfadmin, or pass --force-unknown-schema to write anyway",
            )

    @contextmanager
    def audited(
        self,
        *subjects: str,
        actor: Actor | None = None,
        release: str | None = None,
        database: bool = True,
        failures: bool = True,
    ) -> Iterator[AuditNote]:
        """A change made outside a write session (a restore replaces the whole database; a key
        file is written): recorded like one, after it is done - it cannot be rolled back - or
        with its failure (``failures=False``: a command nobody authenticates for records only
        what it did). ``actor``: whoever a read session proved, if any.

        No record, no change: the trail is proven writable on entering, before the block changes
        anything (``AuditUnavailable`` then, nothing done). The block calls ``on_commit`` as soon
        as its irreversible part is done, so that a later failure - the record itself included -
        says the change was made."""
        note = AuditNote(command=self.command, targets=list(subjects))
        if database:
            note.database = self.db.url.masked
        record.change_ready(self.settings)
        try:
            yield note
        except GeneratorExit:
            raise
        except BaseException as exc:
            if failures:
                record.command_failed(self.settings, note, actor, release, exc, self.warn)
            raise
        record.change_done(self.settings, note, actor, release)

    def _failed(self, note: AuditNote, opened: list[Session], exc: BaseException) -> None:
        """Record a write that failed once the database was open (its schema read): before that
        nothing was attempted on it - a missing file, an unknown schema - and nobody claimed to
        be anyone."""
        if not opened:
            return
        s = opened[0]
        record.command_failed(s.settings, note, s.actor, s.schema.release_label, exc, self.warn)

    @contextmanager
    def _transaction(self, *, write: bool, audit_note: AuditNote) -> Iterator[Session]:
        """Detect the schema and run the block in one transaction (rolled back on error)."""
        pinned = parse_version(self.langflow_version) if self.langflow_version else None
        db = self.db
        audit_note.database = db.url.masked
        if write:
            _refuse_read_only_sqlite(db)
        try:
            with db.transaction(write=write) as conn:
                schema = detect(conn, db.backend, pinned)
                for note in schema.notes:
                    self.warn(note)
                if schema.newer_unknown:
                    if write:
                        self.check_write(schema)
                    self.warn(
                        f"the schema (alembic revision {schema.revision}) is newer than Langflow "
                        f"1.13.0; reading it as {fmt(schema.hi)}"
                    )
                yield Session(conn, schema, self.settings, Codec(db.backend), self.warn, audit_note=audit_note)
        finally:
            db.dispose()


def _refuse_read_only_sqlite(db: Database) -> None:
    """A SQLite file with no write bit (0444) was made read-only on purpose: refuse to write it.

    Root could write it anyway (SQLite opens it read-write when the process may), and a user
    would get SQLite's "attempt to write a readonly database" half-way; either way say so first,
    as for a read-only env file (``lfadmin.files.check_replaceable``)."""
    path = db.url.sqlite_path
    if db.backend != "sqlite" or path is None:
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # Database reports a missing or unreachable file in its own words
    if stat.S_ISREG(mode) and not mode & 0o222:
        raise InvalidInput(
            f"the SQLite database {path} is read-only (mode {stat.S_IMODE(mode):04o}); refusing to write it",
            hint="make it writable (chmod u+w) if Langflow is meant to write it too",
        )
