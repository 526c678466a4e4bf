"""One audit record per command that changes something: what it holds, and when it is written.

``Target.session(write=True)`` calls ``command_done`` inside the transaction, just before the
commit (no record, no change: a trail that cannot be written rolls the command back), and
``command_failed`` when the session ends in an error - a refused write, a wrong password (with
the name that was claimed), a conflict. Commands only name what they act on (``s.subject``) and,
for the few events that matter on their own (superuser rights, a reveal), add fields
(``s.detail``). The fields are documented in docs/audit.md; ``RESERVED`` keeps details from
overwriting them.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from typing import Any

from lfadmin import __version__
from lfadmin.core.actor import Actor
from lfadmin.core.audit.trail import Location, append, check_writable, location
from lfadmin.core.session import AuditNote, Session
from lfadmin.core.user_rows import UserRecord
from lfadmin.errors import ExitCode, LfadminError
from lfadmin.langflow.codec import utcnow
from lfadmin.langflow.settings import LangflowSettings

RESERVED = frozenset(
    {
        "time", "command", "target", "outcome", "exit_code", "error", "actor", "actor_id",
        "authenticated", "auth_method", "auth_rule", "auth_evidence", "langflow_release",
        "database", "os_user", "host", "pid", "lfadmin_version", "prev",
    }
)


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in a container
        return None


def actor_fields(actor: Actor | None, claimed: tuple[str | None, str] | None = None) -> dict[str, Any]:
    """Who acted, by which method, and what was proven (``auth_evidence``: what was checked
    against the database, never an assumption). Unproven (``authenticated`` false): the name
    and method that were claimed, when authentication failed."""
    if actor is None and claimed is not None:
        return {
            "actor": claimed[0], "actor_id": None, "authenticated": False,
            "auth_method": claimed[1], "auth_rule": None, "auth_evidence": None,
        }
    return {
        "actor": actor.username or None if actor else None,
        "actor_id": str(actor.user_id) if actor and actor.user_id else None,
        "authenticated": actor is not None,
        "auth_method": actor.method if actor else None,
        "auth_rule": actor.rule if actor else None,
        "auth_evidence": actor.evidence or None if actor else None,
    }


def build(
    note: AuditNote,
    actor: Actor | None,
    release: str | None,
    *,
    exit_code: int = 0,
    error: str | None = None,
) -> dict[str, Any]:
    """The record, in the documented key order (``prev`` is added by the trail)."""
    clash = RESERVED & set(note.details)
    assert not clash, f"audit details may not overwrite {sorted(clash)}"
    return {
        "time": utcnow().isoformat(),
        "command": note.command,
        "target": list(note.targets),
        "outcome": "ok" if exit_code == 0 else "error",
        "exit_code": exit_code,
        "error": error,
        **actor_fields(actor, note.claimed),
        "langflow_release": release,
        "database": note.database,
        "os_user": _os_user(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "lfadmin_version": __version__,
        "event": None,
        **note.details,
    }


def command_done(s: Session) -> Location:
    """The command's record, written before its transaction commits (once per session)."""
    loc = location(s.settings)
    if not s.audit_note.written:
        append(loc, build(s.audit_note, s.actor, s.schema.release_label))
        s.audit_note.written = True
    return loc


def change_ready(settings: LangflowSettings) -> Location:
    """Before a change made outside a transaction: prove its record can be written, so that a
    trail that cannot take it refuses the change before anything is changed."""
    loc = location(settings)
    check_writable(loc)
    return loc


def change_done(settings: LangflowSettings, note: AuditNote, actor: Actor | None, release: str | None) -> Location:
    """The record of a change made outside a transaction (``Target.audited``), once it is done."""
    loc = location(settings)
    append(loc, build(note, actor, release))
    note.written = True
    return loc


def command_failed(
    settings: LangflowSettings,
    note: AuditNote,
    actor: Actor | None,
    release: str | None,
    exc: BaseException,
    warn: Callable[[str], None],
) -> None:
    """Record a failed command; a trail that cannot take it is a warning, not a second error."""
    code, message = failure(exc)
    try:
        append(location(settings), build(note, actor, release, exit_code=code, error=message))
    except LfadminError as problem:
        if not isinstance(exc, LfadminError) or not _same_cause(exc, problem):
            warn(f"the failure was not recorded in the audit trail: {problem}")


def failure(exc: BaseException) -> tuple[int, str]:
    """Exit code and one line for a failure: an ``LfadminError``'s own message (secret-free by
    construction); anything else only its type - its text could hold anything."""
    if isinstance(exc, LfadminError):
        return int(exc.exit_code), str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return int(ExitCode.INTERRUPTED), "interrupted"
    return int(ExitCode.INTERNAL), f"internal error ({type(exc).__name__})"


def _same_cause(exc: LfadminError, problem: LfadminError) -> bool:
    """The settings (or the trail) that broke the command also keep its failure out of the
    trail: saying so twice helps nobody."""
    return type(exc) is type(problem) and exc.message == problem.message


def superuser_granted(s: Session, event: str, user: UserRecord) -> Location:
    """Superuser rights given (``user create --superuser``, ``user promote``, ``user apply``,
    ``superuser``): named in the command's record; every way to a new superuser says so alike."""
    s.subject(f"user {user.username}")
    granted = [*s.audit_note.details.get("granted", []), user.username]
    if "username" not in s.audit_note.details:  # the first grant of the command
        s.detail(event=event, result="granted", username=user.username, user_id=str(user.id))
    s.detail(granted=granted)
    return location(s.settings)


def secret_revealed(s: Session, name: str, owner: str, variable_id: str) -> Location:
    """``secrets show --reveal``: a read that is recorded, before the value is printed - no
    record, no value."""
    s.subject(f"variable {name} of {owner}")
    s.detail(event="secret.reveal", result="revealed", variable=name, owner=owner, variable_id=variable_id)
    return command_done(s)
