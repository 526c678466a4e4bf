"""The moves a committed transfer still owes the disk, so a crash cannot lose them.

The rule ``secrets rotate`` follows (``lfadmin/core/secrets/rotation.py``): before the database
commit, a journal ``<config dir>/lfadmin-transfer.journal`` (0600) lists the moves and one row
the transfer gives away (its witness); after the moves, it goes. A run killed between the commit
and the last move leaves it behind, and the next `user transfer` (or `delete --transfer-to`)
reads it first: when the witness row belongs to the new owner the transaction committed, so the
moves left (source still there, destination free) are made; otherwise it never committed, and
the journal is dropped.
"""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from lfadmin.core.session import Session
from lfadmin.core.transfer.disk import DiskMove, apply
from lfadmin.db import execute
from lfadmin.errors import InvalidInput
from lfadmin.files import TEXT_CAP, atomic_write, check_config_dir, read_text

NAME = "lfadmin-transfer.journal"
WHAT = "transfer journal"


@dataclass(frozen=True)
class Witness:
    """A row the transfer moved: committed iff ``table.column`` of row ``id`` holds ``owner``."""

    table: str
    column: str
    id: str
    owner: str  # 32 hex digits


def path(s: Session) -> Path:
    return s.settings.config_dir / NAME


def write(s: Session, new_username: str, witness: Witness | None, moves: list[DiskMove]) -> Path:
    where = path(s)
    doc = {
        "to": new_username,
        "witness": None if witness is None else witness.__dict__,
        "moves": [[m.what, str(m.path), str(m.to)] for m in moves if m.action == "to move"],
    }
    try:
        where.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        atomic_write(where, json.dumps(doc).encode("utf-8"), what=WHAT)
    except OSError as exc:
        raise InvalidInput(
            f"cannot write the transfer's journal {where} ({exc.strerror or type(exc).__name__}); nothing was changed",
            hint="the journal lets an interrupted transfer finish its file moves: make the config dir writable",
        ) from None
    return where


def drop(where: Path) -> None:
    with suppress(FileNotFoundError):
        where.unlink()


def resume(s: Session) -> list[DiskMove]:
    """Finish what an interrupted transfer left (the moves made), or drop its stale journal."""
    where = path(s)
    check_config_dir(where.parent)
    text = read_text(where, WHAT, cap=TEXT_CAP, missing_ok=True)
    if text is None:
        return []
    try:
        doc = json.loads(text)
        witness = None if doc["witness"] is None else Witness(**doc["witness"])
        moves = [DiskMove(what, Path(src), Path(dst), "to move") for what, src, dst in doc["moves"]]
        new_username = str(doc["to"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(
            f"{where} (an interrupted transfer's journal) cannot be read; inspect it and remove it"
        ) from None
    if witness is not None:
        q = s.conn.dialect.identifier_preparer.quote
        row = execute(
            s.conn, f"SELECT {q(witness.column)} FROM {q(witness.table)} WHERE id = :i",
            i=s.codec.uuid(uuid.UUID(witness.id)),
        ).first()
        if row is None or s.codec.read_uuid(row[0]).hex != witness.owner:
            drop(where)  # its transaction never committed
            return []
    left = [m for m in moves if m.path.exists() and m.to is not None and not m.to.exists()]
    done = apply(left, new_username)
    drop(where)
    s.warn(f"finished an interrupted transfer to {new_username!r}: moved {len(done)} of its files")
    return done
