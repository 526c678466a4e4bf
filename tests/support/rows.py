"""Values as each backend stores them (a UUID, a boolean), and lfadmin's audit trail next to the
database: for tests that set up or read rows behind lfadmin's back."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.support.databases import LangflowDB

AUDIT = "lfadmin-audit.jsonl"  # in LANGFLOW_CONFIG_DIR


def uid(db: LangflowDB, value: str) -> Any:
    """A UUID as a bind parameter: a ``uuid.UUID`` on PostgreSQL, 32 hex digits on SQLite."""
    return uuid.UUID(value) if db.backend == "postgresql" else uuid.UUID(value).hex


def flag(db: LangflowDB, value: bool) -> Any:
    """A boolean as the backend returns it: ``True`` on PostgreSQL, ``1`` on SQLite."""
    return value if db.backend == "postgresql" else int(value)


def audit_records(db: LangflowDB) -> list[dict[str, Any]]:
    """The records lfadmin's audit log holds (none: no log yet)."""
    path = db.config_dir / AUDIT
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def usernames(db: LangflowDB) -> list[str]:
    return sorted(r[0] for r in db.query('SELECT username FROM "user"'))


def user_row(db: LangflowDB, username: str) -> dict[str, object]:
    rows = db.query(
        'SELECT id, password, is_active, is_superuser, create_at, updated_at, last_login_at, optins '
        'FROM "user" WHERE username = :u',
        u=username,
    )
    assert len(rows) == 1, rows
    keys = ["id", "password", "is_active", "is_superuser", "create_at", "updated_at", "last_login_at", "optins"]
    return dict(zip(keys, rows[0], strict=True))


def stamp(db: LangflowDB, value: datetime) -> Any:
    """A UTC time as each backend stores Langflow's timestamps: naive text on SQLite (SQLAlchemy's
    ``DateTime`` spelling), an aware ``datetime`` on PostgreSQL."""
    value = value.astimezone(timezone.utc)
    return value if db.backend == "postgresql" else value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_langflow_audit_rows(db: LangflowDB, user: str, when: datetime) -> tuple[str, str]:
    """One ``audit_events`` row (a flow update, as 1.13.0's ``build_audit_event`` makes it) and one
    ``authz_audit_log`` row (an allowed decision, as ``_stage_audit_entries`` adds it), by ``user``
    through its session at ``when``; returns their ids (docs/langflow/audit.md §1-§2)."""
    user_id = str(db.user(user)["id"])
    event_id, decision_id = str(uuid.uuid4()), str(uuid.uuid4())
    db.execute(
        "INSERT INTO audit_events (id, resource_type, resource_id, resource_name, user_id, actor_type, actor_id, "
        "acting_issuer, acting_subject, action, operation, event_type, result, error_code, timestamp, request_id, "
        "details) VALUES (:id, 'flow', :rid, 'Support bot', :u, 'user', :u, NULL, NULL, 'flow:write', 'patch', "
        "'action', 'succeeded', NULL, :t, :req, :d)",
        id=uid(db, event_id), rid=uid(db, str(uuid.uuid4())), u=uid(db, user_id), t=stamp(db, when),
        req=uid(db, str(uuid.uuid4())), d=json.dumps({"schema_version": 1}),
    )
    db.execute(
        "INSERT INTO authz_audit_log (id, user_id, actor_type, actor_id, action, resource_type, resource_id, result, "
        "details, timestamp) VALUES (:id, :u, 'user', :u, 'flow:read', 'flow', :rid, 'allow', NULL, :t)",
        id=uid(db, decision_id), u=uid(db, user_id), rid=uid(db, str(uuid.uuid4())),
        t=stamp(db, when + timedelta(seconds=1)),
    )
    return event_id, decision_id
