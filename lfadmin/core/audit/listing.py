"""``audit list`` and ``audit verify``: the trail read back, merged with Langflow's own audit tables.

Who may read it (docs/audit.md): ``audit list`` authenticates a superuser like every other admin
read - the trail names users, hosts and who did what, and the merged tables come from the
database anyway. ``audit verify`` opens no database and needs no superuser: it prints no record,
only counts, a line number and a hash, so a monitoring job that can read the file (0600: its
owner, or root) can run it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lfadmin.core.api_keys import parse_duration, parse_time
from lfadmin.core.audit import events, trail
from lfadmin.core.target import Target
from lfadmin.errors import NotFound
from lfadmin.langflow.codec import utcnow


def parse_since(text: str) -> datetime:
    """``--since``: a duration back from now (``7d``, ``12h``) or an ISO date or date-time."""
    if re.fullmatch(r"(\d+[smhdw])+", text.strip().lower().replace(" ", "")):
        return utcnow() - parse_duration(text, "--since")
    return parse_time(text, "--since")


@dataclass(frozen=True)
class Listing:
    trail: Path
    trail_exists: bool
    sources: list[str]  # what was read: "lfadmin" and Langflow's tables this database has
    events: list[events.Event]

    def to_json(self) -> dict[str, Any]:
        return {
            "trail": str(self.trail),
            "sources": self.sources,
            "events": [e.to_json() for e in self.events],
        }


def list_events(target: Target, filters: events.Filters) -> Listing:
    """Every event the filters keep, oldest first, lfadmin's and Langflow's merged by time."""
    with target.session(write=False) as s:
        loc = trail.location(s.settings)
        theirs = events.langflow_events(s, filters.since)
        sources = [events.LFADMIN]
        sources += [name for name, table in _TABLES if s.schema.has(table)]
    ours: list[events.Event] = []
    exists = True
    try:
        for number, raw in trail.lines(loc.path):
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                target.warn(f"line {number} of {loc.path} is not an audit record (see: lfadmin audit verify)")
                continue
            ours.append(events.from_record(number, record))
    except NotFound:
        exists = False
    kept = [e for e in ours + theirs if filters.keep(e)]
    kept.sort(key=lambda e: e.time)
    return Listing(loc.path, exists, sources, kept)


_TABLES = [(events.AUDIT_EVENTS, "audit_events"), (events.AUTHZ_LOG, "authz_audit_log")]


def verify(target: Target) -> trail.Verified:
    """Check the chain of the trail this target's settings point at (no database opened)."""
    return trail.verify(trail.location(target.settings).path)
