"""``user transfer`` and ``user delete --transfer-to``: what one user owns becomes another's.

No Langflow release can do this (1.13's API refuses "Cannot transfer ownership of a flow you do
not own"), so the rules come from what Langflow does elsewhere (docs/langflow/ownership.md):

- **What moves** is every row the delete cascade would erase with the user
  (``lfadmin.core.ownership``), on every release, minus what is personal to the account (its API
  keys, identity, memberships, locks): flows with their run history, projects, variables,
  files, knowledge bases, MCP servers, and whatever else the schema ties to a user.
- **The default project** is the account's, not its work: Langflow makes one per user and finds
  it by name. Its flows (and sub-projects) go into the new owner's default project; the emptied
  folder stays with the old account. Only a new owner without one takes it whole.
- **Names the new owner already uses** are renamed the way Langflow renames an import or an
  upload (``names.RULES``) and listed; a per-user unique name Langflow has no renaming rule for
  (a knowledge base, whose name is its vector collection; an MCP server; a connection) refuses
  the transfer, naming it, before anything changes.
- **On disk**, uploaded files and knowledge-base folders follow after the commit (``disk``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfadmin.core import ownership
from lfadmin.core.cascade import DeleteStep, Graph, normalized_id
from lfadmin.core.ownership import OwnerColumn, owned_by, owner_param
from lfadmin.core.session import Progress, Session
from lfadmin.core.target import Target
from lfadmin.core.transfer import disk, journal
from lfadmin.core.transfer.names import RULES, resolve
from lfadmin.core.user_rows import UserRecord, get_user
from lfadmin.core.users import default_folder_name, delete_user
from lfadmin.db import execute
from lfadmin.errors import Conflict, InvalidInput, Refused

MCP_FILE = "_mcp_servers"  # 1.6-1.12 keep a user's MCP servers in a file row named _mcp_servers_<id>


@dataclass(frozen=True)
class Moved:
    label: str
    table: str
    column: str
    rows: int


@dataclass(frozen=True)
class Renamed:
    label: str
    table: str
    column: str
    id: str
    old: str
    new: str


@dataclass(frozen=True)
class Kept:
    """Rows that stay with the old user, and why."""

    label: str
    table: str
    rows: int
    why: str


@dataclass
class Transfer:
    old: UserRecord
    new: UserRecord
    dry_run: bool
    moved: list[Moved] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    disk: list[disk.DiskMove] = field(default_factory=list)
    deleted: list[DeleteStep] | None = None  # `delete --transfer-to`: what erasing the old user did
    witness: journal.Witness | None = None  # a row that changed owner (for the journal)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "from": self.old.to_json(),
            "to": self.new.to_json(),
            "dry_run": self.dry_run,
            "moved": [{"kind": m.label, "table": m.table, "column": m.column, "rows": m.rows} for m in self.moved],
            "renamed": [
                {"kind": r.label, "table": r.table, "column": r.column, "id": r.id, "old": r.old, "new": r.new}
                for r in self.renamed
            ],
            "kept": [{"kind": k.label, "table": k.table, "rows": k.rows, "why": k.why} for k in self.kept],
            "disk": [m.to_json() for m in self.disk],
        }
        if self.deleted is not None:
            doc["deleted"] = [
                {"table": st.table, "column": st.column, "action": st.action, "rows": st.rows} for st in self.deleted
            ]
        return doc


# -- inside the caller's transaction ----------------------------------------------------------


class _Mover:
    """One transfer's work in one session: renames, then ownership, collecting what it did."""

    def __init__(self, s: Session, old: UserRecord, new: UserRecord) -> None:
        self.s, self.old, self.new = s, old, new
        self.q = s.conn.dialect.identifier_preparer.quote
        self.graph = Graph(s)
        self.columns = ownership.owner_columns(self.graph)
        self.result = Transfer(old, new, dry_run=False)
        self.skip: dict[str, set[Any]] = {}  # table -> ids of the old user's rows that stay
        self.witness: journal.Witness | None = None  # a row that moves (the journal's proof)

    def params(self) -> dict[str, Any]:
        return {**owner_param(self.s, self.old.id, "old"), **owner_param(self.s, self.new.id, "new")}

    def has(self, table: str, column: str) -> bool:
        return column in self.graph.columns.get(table, {})  # every table (the schema probes a few)

    def owner(self, table: str) -> OwnerColumn | None:
        return next((c for c in self.columns if c.table == table and not c.personal), None)

    def rows(self, table: str, column: str, user: str) -> list[tuple[Any, Any]]:
        """(id as stored, value) of the rows of ``table`` that ``user`` ("old"/"new") owns."""
        col = self.owner(table)
        assert col is not None
        sql = f"SELECT id, {self.q(column)} FROM {self.q(table)} WHERE {owned_by(self.s, col, user)}"
        return [(r[0], r[1]) for r in execute(self.s.conn, sql, **self.params())]

    def keep(self, table: str, row_id: Any, label: str, why: str) -> None:
        self.skip.setdefault(table, set()).add(row_id)
        self.result.kept.append(Kept(label, table, 1, why))

    def set_value(self, table: str, column: str, row_id: Any, value: str) -> None:
        sql = f"UPDATE {self.q(table)} SET {self.q(column)} = :v WHERE id = :id"
        execute(self.s.conn, sql, v=value, id=row_id)

    # -- the steps, in order ----------------------------------------------------------------

    def personal(self) -> None:
        """What stays with the account; its API keys are named even when it has none."""
        for col in self.columns:
            n = ownership.count(self.s, col, self.old.id) if col.personal else 0
            if col.table == "apikey":
                why = "personal to the account, never moved; Langflow keeps no login sessions to move"
                self.result.kept.append(Kept(col.label, col.table, n, why))
            elif n:
                self.result.kept.append(Kept(col.label, col.table, n, "personal to the account: never moved"))

    def default_project(self) -> None:
        """The old default project's contents go into the new owner's (module docstring)."""
        name = default_folder_name(self.s)
        mine = [i for i, n in self.rows("folder", "name", "old") if n == name]
        theirs = [i for i, n in self.rows("folder", "name", "new") if n == name]
        if not mine or not theirs:
            return  # nothing to merge, or the new owner takes it whole
        for edge in self.graph.edges.get("folder", []):
            sql = f"UPDATE {self.q(edge.table)} SET {self.q(edge.column)} = :to WHERE {self.q(edge.column)} = :frm"
            execute(self.s.conn, sql, to=theirs[0], frm=mine[0])
        self.keep("folder", mine[0], "projects", f"its default project {name!r}: what it held went into "
                  f"the default project of {self.new.username!r}")

    def mcp_file(self) -> None:
        """1.6-1.12: a user's MCP servers file is named after its owner (``get_mcp_file``)."""
        if self.owner("file") is None or not self.has("file", "name"):
            return
        mine = [i for i, n in self.rows("file", "name", "old") if n == f"{MCP_FILE}_{self.old.id}"]
        if not mine:
            return
        if any(n == f"{MCP_FILE}_{self.new.id}" for _, n in self.rows("file", "name", "new")):
            self.keep("file", mine[0], "files", f"its MCP servers file: {self.new.username!r} has one of its own")
            return
        self.rename("file", "name", mine[0], f"{MCP_FILE}_{self.old.id}", f"{MCP_FILE}_{self.new.id}")

    def rename(self, table: str, column: str, row_id: Any, old: str, new: str) -> None:
        self.set_value(table, column, row_id, new)
        label = ownership.LABELS.get(table, table)
        self.result.renamed.append(Renamed(label, table, column, str(self.s.codec.read_uuid(row_id)), old, new))

    def collisions(self) -> None:
        """Names the new owner holds: renamed by Langflow's rule for that kind of row."""
        for (table, column), rule in RULES.items():
            if self.owner(table) is None or not self.has(table, column):
                continue
            skip = self.skip.get(table, set())
            mine = sorted((v, i) for i, v in self.rows(table, column, "old") if v is not None and i not in skip)
            theirs = {v for _, v in self.rows(table, column, "new") if v is not None}
            taken = theirs | {v for v, _ in mine}
            for value, row_id in mine:
                if value in theirs:
                    new = resolve(rule, value, taken)
                    taken.add(new)
                    self.rename(table, column, row_id, value, new)

    def unresolvable(self) -> None:
        """Any other per-user unique key the two users share: refused (no Langflow rule)."""
        from sqlalchemy import inspect

        insp = inspect(self.s.conn)
        for col in self.columns:
            if col.personal:
                continue
            keys: list[list[str | None]] = [list(u["column_names"]) for u in insp.get_unique_constraints(col.table)]
            keys += [list(i["column_names"]) for i in insp.get_indexes(col.table) if i.get("unique")]
            for key in keys:
                if col.column not in key or None in key:
                    continue  # an expression index (1.13's lower(username) kind) is no name clash
                others = [c for c in key if c is not None and c != col.column]
                if not others or (len(others) == 1 and (col.table, others[0]) in RULES):
                    continue  # one row per user (none such outside the personal tables), or renamed
                on = " AND ".join(f"a.{self.q(c)} = b.{self.q(c)}" for c in others)
                a, b = (f"{alias}.{self.q(col.column)}" for alias in "ab")
                if col.implicit:  # memory_base.user_id: no foreign key, either id spelling
                    a, b = normalized_id(a) + " = :old_hex", normalized_id(b) + " = :new_hex"
                else:
                    a, b = a + " = :old", b + " = :new"
                sql = (f"SELECT a.{self.q(others[0])} FROM {self.q(col.table)} a JOIN {self.q(col.table)} b ON {on} "
                       f"WHERE {a} AND {b}")
                clash = execute(self.s.conn, sql, **self.params()).first()
                if clash is not None:
                    raise Conflict(
                        f"{col.label} {clash[0]!r} exists for both {self.old.username!r} and {self.new.username!r} "
                        f"({col.table}: one per user by {', '.join(others)}), and Langflow has no rule to rename "
                        "it; nothing changed",
                        hint="rename or remove one of them in Langflow first",
                    )

    def files_on_disk(self) -> None:
        col = self.owner("file")
        root = disk.storage_dir(self.s)
        if col is None or root is None or not self.has("file", "path"):
            return
        renamed = {r.id: (r.old, r.new) for r in self.result.renamed if r.table == "file"}
        skip = self.skip.get("file", set())
        sql = f"SELECT id, name, path FROM {self.q('file')} WHERE {owned_by(self.s, col, 'old')}"
        for row_id, name, path in list(execute(self.s.conn, sql, **self.params())):
            if row_id in skip or not path:
                continue
            before, after = renamed.get(str(self.s.codec.read_uuid(row_id)), (name, name))
            new_path = disk.user_file_path(path, self.old.id, self.new.id, before, after)
            if new_path is None:
                continue
            self.set_value("file", "path", row_id, new_path)
            move = disk.plan_file(self.s, root, path, new_path)
            if move is not None:
                self.result.disk.append(move)

    def knowledge_bases(self) -> None:
        kb_ids = []
        if self.owner("knowledge_base") is not None:
            kb_ids = [self.s.codec.read_uuid(i) for i, _ in self.rows("knowledge_base", "id", "old")]
        self.result.disk += disk.plan_kbs(
            self.s, (self.old.id, self.old.username), (self.new.id, self.new.username), kb_ids
        )

    def owners(self) -> None:
        for col in self.columns:
            if col.personal:
                continue
            where = owned_by(self.s, col, "old")
            skip = sorted(self.skip.get(col.table, set()))
            if skip:
                where += " AND id NOT IN (" + ", ".join(f":skip{i}" for i in range(len(skip))) + ")"
            params = {**self.params(), **{f"skip{i}": v for i, v in enumerate(skip)}}
            if self.witness is None and "id" in self.graph.columns.get(col.table, {}):
                row = execute(self.s.conn, f"SELECT id FROM {self.q(col.table)} WHERE {where}", **params).first()
                if row is not None:
                    rid = str(self.s.codec.read_uuid(row[0]))
                    self.witness = journal.Witness(col.table, col.column, rid, self.new.id.hex)
            sql = f"UPDATE {self.q(col.table)} SET {self.q(col.column)} = :to WHERE {where}"
            n = int(execute(self.s.conn, sql, to=self.s.codec.uuid(self.new.id), **params).rowcount or 0)
            if n:
                self.result.moved.append(Moved(col.label, col.table, col.column, n))


def transfer_rows(s: Session, old: str, new: str, *, allow_inactive: bool = False) -> Transfer:
    """Give what ``old`` owns to ``new``, inside the caller's transaction; the disk moves it
    returns are planned (checked), not made."""
    s.subject(f"user {old}")
    s.subject(f"user {new}")
    if old == new:
        raise InvalidInput(f"cannot transfer {old!r} to itself")
    giver, taker = get_user(s, old), get_user(s, new)
    if not taker.is_active and not allow_inactive:
        state = "retired" if taker.retired_at else "inactive"
        raise Refused(
            f"{new!r} is {state}: what it receives could not be used until it is activated; nothing changed",
            hint=f"activate it first (lfadmin user activate {new}), or pass --allow-inactive",
        )
    mover = _Mover(s, giver, taker)
    mover.personal()
    mover.default_project()
    mover.mcp_file()
    mover.collisions()
    mover.unresolvable()
    mover.files_on_disk()
    mover.knowledge_bases()
    mover.owners()
    mover.result.witness = mover.witness
    return mover.result


# -- the commands -----------------------------------------------------------------------------


def transfer(
    target: Target,
    old: str,
    new: str,
    *,
    dry_run: bool = False,
    allow_inactive: bool = False,
    delete: bool = False,
    confirm: Callable[[Transfer], None] | None = None,
    progress: Progress | None = None,
) -> Transfer:
    """``transfer_rows`` in a transaction of its own (``delete``: then erase ``old``, in the
    same transaction), the disk moves after the commit. ``dry_run``: the same statements in a
    savepoint rolled back, so the plan is exact. ``confirm`` (not with ``dry_run``) sees the
    plan first, inside the same transaction, and raises to call it off."""
    pending: Path | None = None
    try:
        with target.session(write=True, dry_run=dry_run) as s:
            if dry_run:
                if (left := journal.pending(s)) is not None:
                    s.warn(f"an interrupted transfer's journal is pending ({left}); a dry run leaves it: "
                           "the next transfer (not a dry run) checks it and finishes its moves")
            else:
                journal.resume(s)
            if confirm is not None and not dry_run:
                confirm(_planned(s, old, new, allow_inactive, delete))
            if dry_run:
                return _planned(s, old, new, allow_inactive, delete)
            done = _run(s, old, new, allow_inactive, delete, progress)
            if any(m.action == "to move" for m in done.disk):
                pending = journal.write(s, done.new.username, done.witness, done.disk)
    except BaseException:
        if pending is not None:
            journal.drop(pending)  # rolled back: nothing is owed to the disk
        raise
    done.disk = disk.apply(done.disk, done.new.username)
    if pending is not None:
        journal.drop(pending)
    return done


def _planned(s: Session, old: str, new: str, allow_inactive: bool, delete: bool) -> Transfer:
    nested = s.conn.begin_nested()
    try:
        plan = _run(s, old, new, allow_inactive, delete, None)
    finally:
        nested.rollback()
    plan.dry_run = True
    return plan


def _run(s: Session, old: str, new: str, allow_inactive: bool, delete: bool, progress: Progress | None) -> Transfer:
    done = transfer_rows(s, old, new, allow_inactive=allow_inactive)
    if delete:
        done.deleted = delete_user(s, old, progress=progress)[1]
    return done
