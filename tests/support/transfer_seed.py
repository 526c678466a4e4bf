"""Two users whose belongings clash, on a database real Langflow made: for `user transfer` tests.

``seed(db)`` gives alice (who owns the fixture's flow) a project "Team" holding a flow "Shared"
(endpoint "shared") and an uploaded file "notes" on disk, and gives carol a flow of each of
those names, a project "Team", a variable "OPENAI_API_KEY" and a file "notes": every name
Langflow keeps unique per user clashes once. New rows are copies of rows Langflow wrote, so
each release's columns are filled as it fills them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.databases import LangflowDB
from tests.support.rows import uid
from tests.support.secrets_seed import NOW, insert


def columns(db: LangflowDB, table: str) -> list[str]:
    if db.backend == "sqlite":
        return [r[1] for r in db.query(f'PRAGMA table_info("{table}")')]
    return [r[0] for r in db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t ORDER BY ordinal_position", t=table
    )]


def clone(db: LangflowDB, table: str, source: Any, **values: Any) -> str:
    """Copy row ``source`` of ``table`` with a new id and ``values``; the new id (dashed)."""
    new = str(uuid.uuid4())
    values["id"] = uid(db, new)
    cols = columns(db, table)
    select = ", ".join(f":{c}" if c in values else f'"{c}"' for c in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    db.execute(f'INSERT INTO "{table}" ({names}) SELECT {select} FROM "{table}" WHERE id = :src', src=source, **values)
    return new


@dataclass(frozen=True)
class Seeded:
    alice: str  # ids, dashed
    carol: str
    alice_default: str  # alice's default project
    carol_default: str
    team: str  # alice's project "Team"
    notes: Path  # alice's uploaded file on disk
    carol_notes: Path


def default_folder(db: LangflowDB, user: str) -> Any:
    return db.query("SELECT id FROM folder WHERE user_id = :u AND name = 'Starter Project'", u=uid(db, user))[0][0]


def seed(db: LangflowDB) -> Seeded:
    alice, carol = str(db.user("alice")["id"]), str(db.user("carol")["id"])
    flow = uid(db, db.manifest["flows"][0]["id"])
    a_default, c_default = default_folder(db, alice), default_folder(db, carol)
    team = clone(db, "folder", a_default, name="Team")
    clone(db, "folder", c_default, name="Team")
    clone(db, "flow", flow, name="Shared", endpoint_name="shared", folder_id=uid(db, team))
    clone(db, "flow", flow, name="Shared", endpoint_name="shared", user_id=uid(db, carol), folder_id=c_default)
    clone(db, "flow", flow, user_id=uid(db, carol), folder_id=c_default, endpoint_name=None)
    var = db.query("SELECT id FROM variable WHERE name = 'OPENAI_API_KEY' AND user_id = :u", u=uid(db, alice))[0][0]
    clone(db, "variable", var, user_id=uid(db, carol))
    paths = []
    for owner in (alice, carol):
        insert(db, "file", id=uid(db, str(uuid.uuid4())), user_id=uid(db, owner), name="notes",
               path=f"{owner}/notes.txt", size=5, created_at=NOW, updated_at=NOW)
        path = db.config_dir / owner / "notes.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(owner[:5])
        paths.append(path)
    return Seeded(alice, carol, str(uuid.UUID(str(a_default))), str(uuid.UUID(str(c_default))), team, *paths)
