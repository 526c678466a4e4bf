"""Values as each backend stores them (a UUID, a boolean), and lfadmin's audit trail next to the
database: for tests that set up or read rows behind lfadmin's back."""

from __future__ import annotations

import json
import uuid
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
