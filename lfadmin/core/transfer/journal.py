"""The moves a committed transfer still owes the disk, so a crash cannot lose them.

The rule ``secrets rotate`` follows (``lfadmin/core/secrets/rotation.py``): before the database
commit, a journal ``<config dir>/lfadmin-transfer.journal`` (0600) lists the moves and one row
the transfer gives away (its witness); after the moves, it goes. A run killed between the commit
and the last move leaves it behind, and the next `user transfer` (or `delete --transfer-to`)
reads it first: when the witness row belongs to the new owner the transaction committed, so the
moves left (source still there, destination free) are made; otherwise it never committed, and
the journal is dropped.

The config dir belongs to Langflow's service user, and lfadmin may run as root: the journal is
trusted only when it is a regular file of this user's, mode 0600, names a witness, and moves
nothing from or to outside the storage dir or the knowledge-bases dir (through no link below
them); anything else is refused, moving nothing. A dry run never resumes: it only says that a
journal is pending.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from lfadmin.core.session import Session
from lfadmin.core.transfer.disk import DiskMove, apply, storage_dir
from lfadmin.db import execute
from lfadmin.errors import InvalidInput, Refused
from lfadmin.files import TEXT_CAP, atomic_write, check_config_dir, check_move

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


def write(s: Session, new_username: str, witness: Witness | None, moves: list[DiskMove]) -> Path | None:
    """The journal of ``moves``; None (no journal) without a witness, which ``resume`` requires:
    no row changed owner, so no commit could be proven (the moves are still made, unjournaled)."""
    if witness is None:
        return None
    where = path(s)
    doc = {
        "to": new_username,
        "witness": witness.__dict__,
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


def _refuse(where: Path, why: str) -> Refused:
    return Refused(
        f"{where} (an interrupted transfer's journal) {why}; it was not used and nothing was moved",
        hint="inspect it: if lfadmin did not write it, remove it; otherwise make it a 0600 file of this user's",
    )


def _read(where: Path) -> str | None:
    """The journal's text, read through one descriptor that is checked: a regular file (never a
    link), owned by this user, mode 0600; None when there is none."""
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(where, "is a symbolic link") from None
        raise _refuse(where, f"cannot be opened ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(where, "is not a regular file")
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            raise _refuse(where, f"belongs to uid {st.st_uid}, not to this user (uid {os.geteuid()})")
        if stat.S_IMODE(st.st_mode) != 0o600:
            raise _refuse(where, f"has mode {stat.S_IMODE(st.st_mode):04o}, not 0600")
        data = os.read(fd, TEXT_CAP + 1)
    finally:
        os.close(fd)
    if len(data) > TEXT_CAP:
        raise _refuse(where, "is too large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(where, "is not UTF-8 text") from None


def _roots(s: Session) -> list[Path]:
    """Where a transfer moves things: the same roots ``transfer_rows`` computes."""
    roots = [storage_dir(s)]
    found = s.settings.knowledge_bases_dir()
    roots.append(None if found is None else found[0])
    return [r for r in roots if r is not None]


def _checked(s: Session, where: Path, move: DiskMove) -> DiskMove:
    """``move`` with the root both its ends lie under (lexically, and resolved), or refused."""
    assert move.to is not None
    for root in _roots(s):
        real = root.resolve()
        inside = all(
            p.is_absolute() and ".." not in p.parts and p.is_relative_to(root) and p != root
            and p.parent.resolve().is_relative_to(real)
            for p in (move.path, move.to)
        )
        if inside:
            return DiskMove(move.what, move.path, move.to, move.action, root)
    raise _refuse(where, f"moves {move.path} to {move.to}, outside the storage and knowledge-bases dirs")


def pending(s: Session) -> Path | None:
    """The journal, when one is there (a dry run only reports it)."""
    where = path(s)
    return where if os.path.lexists(where) else None


def resume(s: Session) -> list[DiskMove]:
    """Finish what an interrupted transfer left (the moves made), or drop its stale journal."""
    where = path(s)
    check_config_dir(where.parent)
    text = _read(where)
    if text is None:
        return []
    try:
        doc = json.loads(text)
        witness = None if doc["witness"] is None else Witness(**doc["witness"])
        moves = [DiskMove(str(what), Path(src), Path(dst), "to move") for what, src, dst in doc["moves"]]
        new_username = str(doc["to"])
        witness_id = None if witness is None else uuid.UUID(witness.id)
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(
            f"{where} (an interrupted transfer's journal) cannot be read; inspect it and remove it"
        ) from None
    if witness is None or witness_id is None:
        raise _refuse(where, "names no witness row, so whether its transfer committed cannot be proven")
    moves = [_checked(s, where, m) for m in moves]
    q = s.conn.dialect.identifier_preparer.quote
    row = execute(
        s.conn, f"SELECT {q(witness.column)} FROM {q(witness.table)} WHERE id = :i",
        i=s.codec.uuid(witness_id),
    ).first()
    if row is None or s.codec.read_uuid(row[0]).hex != witness.owner:
        drop(where)  # its transaction never committed
        return []
    left = [m for m in moves if m.path.exists() and m.to is not None and not m.to.exists()]
    for m in left:  # no link below the root on either side (``apply`` walks the same way)
        assert m.to is not None
        check_move(m.path, m.to, m.what, directory=m.path.is_dir(), root=m.root)
    done = apply(left, new_username)
    drop(where)
    s.warn(f"finished an interrupted transfer to {new_username!r}: moved {len(done)} of its files")
    return done
