"""What a transfer moves on disk: uploaded files and knowledge bases, per release.

The database changes in one transaction; the files follow after it commits, as every lfadmin
command that touches both does (``user rename``, ``secrets rotate``): each move is checked
before the commit (the source a regular file or directory and not a link, the destination
free, both directories writable), so a refusal changes nothing, and made after it with
``files.move_path`` (a rename on the same filesystem: a file is either in its old place or in
its new one). A move that still fails names what is left to move by hand
(docs/langflow/ownership.md §4 says where each release keeps them).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from lfadmin.core.session import Session
from lfadmin.core.users import KB_BY_OWNER_ID_SINCE
from lfadmin.errors import LfadminError
from lfadmin.files import check_move, move_path

# 1.13 keys its knowledge-base stores by owner id, ``<dir>/sqlite/<owner id>/<kb id>``
# (1.13.0 ``lfx/base/knowledge_bases/backends/sqlite.py`` ``database_path``); before, they live in
# ``<dir>/<username>/<kb name>`` (docs/langflow/knowledge-bases.md §1).
FILE = "uploaded file"
KB = "knowledge base"


@dataclass(frozen=True)
class DiskMove:
    """One file or folder a transfer moves: ``action`` "to move" (planned, or a dry run),
    "moved", or "kept" (left where it is, ``to`` None: the release does not key it by owner)."""

    what: str
    path: Path
    to: Path | None
    action: str
    root: Path | None = field(default=None, compare=False)  # the storage or knowledge-bases dir

    def to_json(self) -> dict[str, object]:
        return {"what": self.what, "path": str(self.path), "to": None if self.to is None else str(self.to),
                "action": self.action}


def storage_dir(s: Session) -> Path | None:
    """Where Langflow's local storage keeps uploaded files: its config dir; None when files
    live elsewhere (``LANGFLOW_STORAGE_TYPE`` other than local: S3)."""
    kind = s.settings.env.setting("STORAGE_TYPE")
    if kind is not None and kind.raw and kind.raw.lower() != "local":
        return None
    return s.settings.config_dir


def user_file_path(path: str, old: uuid.UUID, new: uuid.UUID, old_base: str, new_base: str) -> str | None:
    """A ``file.path`` rewritten for the new owner (``<user id>/<stored name>``, 1.6.9
    ``langflow/api/v2/files.py`` upload), its stored name following a rename; None when the path
    is not under the old owner's folder (a path Langflow did not make that way is left alone)."""
    head, _, base = path.replace("\\", "/").partition("/")
    if head not in (str(old), old.hex) or not base or "/" in base:
        return None
    if new_base != old_base and base.startswith(old_base):
        base = new_base + base[len(old_base):]
    return f"{new}/{base}"


def plan_file(s: Session, root: Path, old_path: str, new_path: str) -> DiskMove | None:
    src, dst = root / old_path, root / new_path
    if not check_move(src, dst, FILE, directory=False, root=root):
        s.warn(f"{FILE} {src} is not on disk: its row moves, there is nothing to move")
        return None
    return DiskMove(FILE, src, dst, "to move", root)


def plan_kbs(
    s: Session, old: tuple[uuid.UUID, str], new: tuple[uuid.UUID, str], kb_ids: list[uuid.UUID]
) -> list[DiskMove]:
    """The knowledge-base folders that follow the owner (``old``/``new``: id and username)."""
    found = s.settings.knowledge_bases_dir()
    if found is None or not found[0].is_dir():
        return []
    root = found[0]
    if s.schema.lo >= KB_BY_OWNER_ID_SINCE:
        moves = []
        for kb in kb_ids:
            src, dst = root / "sqlite" / str(old[0]) / str(kb), root / "sqlite" / str(new[0]) / str(kb)
            if check_move(src, dst, KB, directory=True, root=root):
                moves.append(DiskMove(KB, src, dst, "to move", root))
        legacy = root / old[1]
        if os.path.lexists(legacy):  # fingerprinted upgrade sources, tied to the owner by a ledger
            moves.append(DiskMove(KB, legacy, None, "kept"))
        return moves
    src_dir = root / old[1]
    if not src_dir.is_dir() or src_dir.is_symlink():
        return []
    moves = []
    for entry in sorted(src_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        dst = root / new[1] / entry.name
        if check_move(entry, dst, KB, directory=True, root=root):
            moves.append(DiskMove(KB, entry, dst, "to move", root))
    return moves


def apply(moves: list[DiskMove], new_username: str) -> list[DiskMove]:
    """Make the planned moves (after the commit); the moves as done."""
    done: list[DiskMove] = []
    for i, move in enumerate(moves):
        if move.action != "to move" or move.to is None:
            done.append(move)
            continue
        try:
            move_path(move.path, move.to, move.what, root=move.root)
        except LfadminError as exc:
            left = "; ".join(f"{m.path} -> {m.to}" for m in moves[i:] if m.action == "to move")
            exc.message += (
                f"; move by hand, as the user Langflow runs as ({left}), or {new_username!r} cannot open them"
            )
            raise
        done.append(DiskMove(move.what, move.path, move.to, "moved", move.root))
    return done
