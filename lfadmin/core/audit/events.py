"""One shape for everything ``audit list`` shows: lfadmin's own records and the rows Langflow
writes to its audit tables (docs/langflow/audit.md §1-§2), so they can be merged by time and filtered
alike. Each event says where it came from (``source``).

Langflow's tables are read only where the schema has them (``authz_audit_log`` from 1.10,
``audit_events`` in 1.13): which release has which is the schema's to say, never a version check.
A Langflow row names its account by id; the username is joined from ``user`` (None once the
account is gone - its events outlive it by design).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lfadmin.core.session import Session
from lfadmin.db import execute
from lfadmin.errors import UnsupportedDatabase
from lfadmin.langflow.codec import Codec

LFADMIN = "lfadmin"
AUDIT_EVENTS = "langflow:audit_events"
AUTHZ_LOG = "langflow:authz_audit_log"


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    actor: str | None = None
    action: str | None = None

    def keep(self, event: Event) -> bool:
        if self.since is not None and event.time < self.since:
            return False
        if self.actor is not None and event.actor != self.actor:
            return False
        return self.action is None or any(_names(name, self.action) for name in event.actions)


def _names(value: str | None, wanted: str) -> bool:
    """``user`` matches ``user promote``; ``flow`` matches ``flow:write``; exact otherwise."""
    return value is not None and (value == wanted or value.startswith((wanted + " ", wanted + ":", wanted + ".")))


@dataclass(frozen=True)
class Event:
    source: str
    time: datetime
    actor: str | None
    auth_method: str | None  # lfadmin: how the actor was proven; Langflow: its actor_type
    action: str | None  # lfadmin: the command; Langflow: its action (``flow:write``)
    target: list[str]
    outcome: str  # lfadmin: ok / error; Langflow: succeeded, failed, allow, deny ...
    line: int | None = None  # the trail's line (lfadmin records)
    record: dict[str, Any] = field(default_factory=dict)  # the whole record or row
    also: tuple[str, ...] = ()  # other names the action filter matches (an lfadmin ``event``)

    @property
    def actions(self) -> tuple[str | None, ...]:
        return (self.action, *self.also)

    @property
    def shown_outcome(self) -> str:
        """The outcome, with lfadmin's exit code when it failed (``error (7)``)."""
        code = self.record.get("exit_code") if self.source == LFADMIN else None
        return f"{self.outcome} ({code})" if code else self.outcome

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "time": self.time.isoformat(),
            "actor": self.actor,
            "auth_method": self.auth_method,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "line": self.line,
            "record": self.record,
        }


def from_record(line: int, record: dict[str, Any]) -> Event:
    """An lfadmin trail record (older, unchained ones too: ``event`` was their action)."""
    try:
        when = datetime.fromisoformat(str(record["time"]))
    except (KeyError, ValueError):
        when = datetime.min.replace(tzinfo=timezone.utc)  # unreadable: sorted first
    command = record.get("command")
    event = record.get("event")
    outcome = record.get("outcome") or record.get("result") or "?"
    return Event(
        LFADMIN,
        when,
        record.get("actor"),
        record.get("auth_method"),
        command or event,
        list(record.get("target") or ([record["username"]] if record.get("username") else [])),
        str(outcome),
        line,
        record,
        (event,) if event and command else (),
    )


def langflow_events(s: Session, since: datetime | None) -> list[Event]:
    """Rows of Langflow's own audit tables, where this database has them."""
    found: list[Event] = []
    if s.schema.has("audit_events"):
        found += _read(s, "audit_events", AUDIT_EVENTS, since)
    if s.schema.has("authz_audit_log"):
        found += _read(s, "authz_audit_log", AUTHZ_LOG, since)
    return found


_COMMON = ("id", "timestamp", "user_id", "actor_type", "action", "result", "resource_type", "resource_id")
_ONLY_EVENTS = ("resource_name", "operation", "error_code", "request_id")
_IDS = frozenset({"id", "user_id", "resource_id", "request_id"})


def _read(s: Session, table: str, source: str, since: datetime | None) -> list[Event]:
    names = _COMMON + (_ONLY_EVENTS if table == "audit_events" else ())
    present = _columns(s, table)
    # authz_audit_log gained actor_type/actor_id after 1.10's first version of the table.
    cols = ", ".join(f"e.{n}" if n in present else f"NULL AS {n}" for n in names)
    where = "WHERE e.timestamp >= :since" if since is not None else ""
    rows = execute(
        s.conn,
        f'SELECT {cols}, u.username FROM {table} e LEFT JOIN "user" u ON u.id = e.user_id {where} '
        "ORDER BY e.timestamp",
        since=s.codec.datetime(since),
    ).all()
    events = []
    for row in rows:
        values = dict(zip(names, row, strict=False))
        record = {n: _text(values[n]) if n in _IDS else values[n] for n in names if n != "timestamp"}
        when = s.codec.read_datetime(values["timestamp"])
        if when is None:
            raise UnsupportedDatabase(f"a {table} row has no timestamp: something other than Langflow wrote it")
        kind = values["resource_type"]
        resource = f"{kind} {values.get('resource_name') or record['resource_id'] or ''}".strip() if kind else None
        events.append(
            Event(
                source, when, row[-1], values["actor_type"], values["action"],
                [resource] if resource else [], str(values["result"]), None, record,
            )
        )
    return events


def _columns(s: Session, table: str) -> set[str]:
    from sqlalchemy import inspect

    return {c["name"] for c in inspect(s.conn).get_columns(table)}


def _text(value: Any) -> str | None:
    """An id as text, whichever way the backend hands it back (a UUID, 32 hex digits)."""
    if value is None:
        return None
    try:
        return str(Codec.read_uuid(value))
    except UnsupportedDatabase:
        return str(value)
