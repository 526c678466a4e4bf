"""lfadmin's audit trail: one JSON object per line, appended, never rewritten.

Where: ``$LFADMIN_AUDIT_LOG`` when set (env or ``--env-file``); else ``lfadmin-audit.jsonl`` in
Langflow's config dir, beside the server's ``secret_key`` - the directory that belongs to the
server rather than to whoever runs lfadmin, and the one the break-glass path proves access to;
when that directory does not exist (lfadmin never creates it: Langflow does, with its own
permissions) the trail goes to ``audit.jsonl`` in lfadmin's state dir
(``~/.local/state/lfadmin`` on Linux). The path is printed with every audited action.

Why a file and not Langflow's own tables: only 1.13 has ``audit_events``, its ``actor_type`` /
``action`` vocabulary belongs to Langflow's RBAC plugin, and a row there disappears with the
transaction it was written in - a refused break-glass attempt must leave a trace anyway.

The file is created 0600 (it names users and hosts) and each record is written with one
``write()`` on an ``O_APPEND`` descriptor under ``flock``, then fsynced, so concurrent lfadmin
processes never interleave lines. Records never contain a password, an API key or the secret key.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lfadmin import __version__, redact
from lfadmin.core.actor import Actor
from lfadmin.core.session import Session
from lfadmin.core.user_rows import UserRecord
from lfadmin.errors import ExitCode, InvalidInput, LfadminError
from lfadmin.langflow.codec import utcnow
from lfadmin.langflow.settings import LangflowSettings

FILE_NAME = "lfadmin-audit.jsonl"
ENV_VAR = "LFADMIN_AUDIT_LOG"


class AuditUnavailable(LfadminError):
    """The audit trail cannot be written: the audited action is not done either."""

    # Same code as an unwritable database: the operator fixes a path or a permission.
    exit_code = ExitCode.DB_UNAVAILABLE


@dataclass(frozen=True)
class Location:
    path: Path
    why: str  # "LFADMIN_AUDIT_LOG (environment)", "Langflow's config dir", ...


def location(settings: LangflowSettings) -> Location:
    val = settings.env.exact(ENV_VAR)
    if val is not None:
        if val.origin.kind == "file":
            # The server's env file is not lfadmin's to configure: whoever owns it must not
            # choose which file a root run creates or appends to.
            raise InvalidInput(
                f"{ENV_VAR} is set in the env file {val.origin}: it is lfadmin's own setting, "
                "read only from the environment lfadmin runs in"
            )
        return Location(Path(val.raw).expanduser(), val.describe())
    config_dir = settings.config_dir
    try:
        in_config_dir = config_dir.is_dir()
    except OSError:  # a name too long: not a place to write to
        in_config_dir = False
    if in_config_dir:
        return Location(config_dir / FILE_NAME, "Langflow's config dir")
    from platformdirs import user_state_dir

    return Location(
        Path(user_state_dir("lfadmin")) / "audit.jsonl",
        f"lfadmin's state dir (Langflow's config dir {config_dir} does not exist here)",
    )


def _who() -> dict[str, Any]:
    import getpass

    try:
        os_user: str | None = getpass.getuser()
    except Exception:  # no passwd entry in a container
        os_user = None
    return {"os_user": os_user, "host": socket.gethostname(), "pid": os.getpid()}


def append(settings: LangflowSettings, event: str, **fields: Any) -> Location:
    """Append one record; raise ``AuditUnavailable`` if it cannot be made durable."""
    loc = location(settings)
    record = {
        "time": utcnow().isoformat(),
        "event": event,
        **fields,
        **_who(),
        "lfadmin_version": __version__,
    }
    # The same last guard as stdout and stderr: no secret the process loaded, even in a reason.
    line = (redact.scrub(json.dumps(record, ensure_ascii=False, default=str)) + "\n").encode("utf-8")
    try:
        loc.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Never through a symbolic link, and only into a regular file (a FIFO would block the
        # run inside its write transaction): whoever owns the directory must not be able to
        # make a root run append to a file of their choosing, or hang it.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(loc.path, flags, 0o600)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise AuditUnavailable(
                f"the audit trail {loc.path} ({loc.why}) is not a regular file",
                hint=f"remove it, or set {ENV_VAR} to a regular file",
            )
    except OSError as exc:
        raise AuditUnavailable(
            f"cannot write the audit trail {loc.path} ({loc.why}): {exc.strerror}",
            hint=f"fix its permissions or set {ENV_VAR} to a writable file",
        ) from None
    try:
        _lock(fd)
        os.write(fd, line)
        os.fsync(fd)
    except OSError as exc:
        raise AuditUnavailable(
            f"cannot write the audit trail {loc.path}: {exc.strerror}",
            hint=f"fix its permissions or set {ENV_VAR} to a writable file",
        ) from None
    finally:
        os.close(fd)  # also releases the lock
    return loc


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: O_APPEND writes of one line are atomic enough
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def read(path: Path) -> list[dict[str, Any]]:
    """Every record in ``path`` (for tests and for operators' scripts)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def actor_fields(actor: Actor | None) -> dict[str, Any]:
    """Who acted, by which method, and what was proven (``auth_evidence``: what was checked
    against the database, never an assumption) - the same fields in every record."""
    return {
        "actor": actor.username or None if actor else None,
        "actor_id": str(actor.user_id) if actor and actor.user_id else None,
        "auth_method": actor.method if actor else None,
        "auth_rule": actor.rule if actor else None,
        "auth_evidence": actor.evidence or None if actor else None,
    }


def superuser_granted(s: Session, event: str, user: UserRecord) -> Location:
    """Audit superuser rights given outside ``lfadmin superuser`` (``user create --superuser``,
    ``user promote``): every way to a new superuser leaves the same kind of record."""
    return append(
        s.settings,
        event,
        result="granted",
        username=user.username,
        user_id=str(user.id),
        **actor_fields(s.actor),
        langflow_release=s.schema.release_label,
    )


def secret_revealed(s: Session, name: str, owner: str, variable_id: str) -> Location:
    """Audit ``secrets show --reveal`` before the value is printed: no record, no value."""
    return append(
        s.settings,
        "secret.reveal",
        result="revealed",
        variable=name,
        owner=owner,
        variable_id=variable_id,
        **actor_fields(s.actor),
        langflow_release=s.schema.release_label,
    )
