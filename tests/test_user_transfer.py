"""`lfadmin user transfer` and `user delete --transfer-to` on databases real Langflow 1.6.9 and
1.13.0 made, on SQLite and PostgreSQL: exact output, every clash renamed as Langflow renames an
import, a dry run that changes nothing, files and knowledge bases moved on disk, the refusals,
and real Langflow listing the flows to their new owner."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from lfadmin import files
from lfadmin.core import transfer
from lfadmin.core.transfer import names
from tests.support.core import make_target
from tests.support.databases import LangflowDB
from tests.support.langflow import langflow_check
from tests.support.rows import uid, usernames
from tests.support.secrets_seed import NOW, insert, kb_env
from tests.support.transfer_seed import Seeded, seed


def owned(db: LangflowDB, table: str, user: str, column: str = "name") -> list[str]:
    rows = db.query(f'SELECT "{column}" FROM "{table}" WHERE user_id = :u', u=uid(db, user))
    return sorted(r[0] for r in rows if r[0] is not None)


def renamed_rows() -> str:
    return (
        "flows\tname\tAlice Secret Flow\tAlice Secret Flow (1)\n"
        "flows\tname\tShared\tShared (1)\n"
        "flows\tendpoint_name\tshared\tshared-1\n"
        "projects\tname\tTeam\tTeam (1)\n"
        "variables\tname\tOPENAI_API_KEY\tOPENAI_API_KEY (1)\n"
        "files\tname\tnotes\tnotes (1)\n"
    )


def test_transfer_renames_clashes_and_moves_files(lfdb: LangflowDB) -> None:
    sd = seed(lfdb)
    variables = 6 if lfdb.version == "1.13.0" else 2  # 1.13 gives every user its env variables
    moved = f"files\tfile\tuser_id\t1\nflows\tflow\tuser_id\t2\nprojects\tfolder\tuser_id\t1\nvariables\tvariable\tuser_id\t{variables}\n"
    target = sd.carol_notes.parent / "notes (1).txt"

    def talk(dry: bool) -> str:
        would = "Would " if dry else ""
        return (
            f"{'Would move' if dry else 'Moved'} from 'alice' to 'carol'\n"
            f"{'Would rename' if dry else 'Renamed'}: names 'carol' already uses\n"
            "Kept by 'alice': 1 API key (personal to the account, never moved; Langflow keeps no login sessions to move)\n"
            "Kept by 'alice': 1 project (its default project 'Starter Project': what it held went into the "
            "default project of 'carol')\n"
            f"{would.strip() or 'Moved'}{' move' if dry else ''} uploaded file {sd.notes} to {target}\n"
            + ("Dry run: nothing was changed\n" if dry else "Transferred what 'alice' owned to 'carol'\n")
        )

    snap = lfdb.snapshot()
    res = lfdb.run("user", "transfer", "alice", "carol", "--dry-run")
    assert (res.exit_code, res.stdout, res.stderr) == (0, moved + renamed_rows(), talk(True)), res
    assert lfdb.snapshot() == snap and sd.notes.exists() and not target.exists()

    res = lfdb.run("user", "transfer", "alice", "carol")
    assert (res.exit_code, res.stdout, res.stderr) == (0, moved + renamed_rows(), talk(False)), res
    assert owned(lfdb, "flow", sd.carol) == ["Alice Secret Flow", "Alice Secret Flow (1)", "Shared", "Shared (1)"]
    assert owned(lfdb, "flow", sd.carol, "endpoint_name")[-2:] == ["shared", "shared-1"]
    assert owned(lfdb, "flow", sd.alice) == [] and owned(lfdb, "variable", sd.alice) == []
    assert owned(lfdb, "folder", sd.alice) == ["Starter Project"]  # the default project stays, empty
    assert owned(lfdb, "folder", sd.carol) == ["Starter Project", "Team", "Team (1)"]
    in_default = lfdb.query("SELECT name FROM flow WHERE folder_id = :f", f=uid(lfdb, sd.carol_default))
    assert sorted(r[0] for r in in_default) == ["Alice Secret Flow", "Alice Secret Flow (1)", "Shared"]
    assert lfdb.query("SELECT name FROM flow WHERE folder_id = :f", f=uid(lfdb, sd.team)) == [("Shared (1)",)]
    assert len(lfdb.query("SELECT id FROM apikey WHERE user_id = :u", u=uid(lfdb, sd.alice))) == 1
    assert owned(lfdb, "file", sd.carol, "path") == [f"{sd.carol}/notes (1).txt", f"{sd.carol}/notes.txt"]
    assert target.read_text() == sd.alice[:5] and not sd.notes.exists()


def test_delete_transfer_to_is_one_transaction_json(db113: LangflowDB) -> None:
    sd = seed(db113)
    res = db113.run("user", "delete", "alice", "--transfer-to", "carol", "--json")
    assert (res.exit_code, res.stdout, res.stderr) == (10, "", "Error: not deleting without confirmation (pass --yes)\n")
    res = db113.run("user", "delete", "alice", "--transfer-to", "carol", "--yes", "--json")
    assert res.exit_code == 0, res
    doc = res.json
    assert (doc["from"]["username"], doc["to"]["username"], doc["dry_run"], doc["transferred"], doc["deleted_user"]) == (
        "alice", "carol", False, True, True)
    assert [(r["kind"], r["old"], r["new"]) for r in doc["renamed"]][-1] == ("files", "notes", "notes (1)")
    assert doc["kept"][0] == {"kind": "api_keys", "table": "apikey", "rows": 1, "why": (
        "personal to the account, never moved; Langflow keeps no login sessions to move")}
    assert doc["disk"] == [{"what": "uploaded file", "path": str(sd.notes),
                            "to": str(sd.carol_notes.parent / "notes (1).txt"), "action": "moved"}]
    assert {"table": "apikey", "column": "user_id", "action": "delete", "rows": 1} in doc["deleted"]
    assert "alice" not in usernames(db113)
    show = db113.run("user", "show", "carol", "--json").json["user"]
    assert show["owns"]["flows"] == 4 and show["owns"]["files"] == 2 and show["owns"]["projects"] == 3
    assert show["last_login_at"] is None and "knowledge_bases" in show["owns"]


def test_refusals_change_nothing(lfdb: LangflowDB) -> None:
    seed(lfdb)
    if lfdb.version == "1.13.0":  # a per-user name Langflow has no renaming rule for
        for owner in ("alice", "carol"):
            insert(lfdb, "mcp_server", id=uid(lfdb, str(uuid.uuid4())), user_id=uid(lfdb, str(lfdb.user(owner)["id"])),
                   name="tools", transport="stdio", config="{}", enabled=True, version=1, created_at=NOW, updated_at=NOW)
        clash = (9, "Error: mcp_servers 'tools' exists for both 'alice' and 'carol' (mcp_server: one per user by name), "
                    "and Langflow has no rule to rename it; nothing changed (rename or remove one of them in Langflow "
                    "first)\n")
    else:  # a knowledge base folder of that name under the new owner
        root = lfdb.config_dir.parent / "kbs"
        for owner in ("alice", "carol"):
            (root / owner / "docs").mkdir(parents=True)
        clash = (9, f"Error: knowledge base {root / 'carol' / 'docs'} already exists; nothing changed (move or remove "
                    "it first (it would become this user's))\n")
    env = kb_env(lfdb.config_dir.parent / "kbs")
    snap = lfdb.snapshot()
    cases = [
        (("alice", "alice"), (4, "Error: cannot transfer 'alice' to itself\n")),
        (("alice", "nobody"), (8, "Error: no user 'nobody'\n")),
        (("Alice", "carol"), (8, "Error: no user 'Alice' (did you mean 'alice'? usernames are case-sensitive)\n")),
        (("alice", "bob"), (10, "Error: 'bob' is inactive: what it receives could not be used until it is activated; "
                                "nothing changed (activate it first (lfadmin user activate bob), or pass "
                                "--allow-inactive)\n")),
        (("alice", "carol"), clash),
    ]
    for args, (code, message) in cases:
        res = lfdb.run("user", "transfer", *args, **env)
        assert (res.exit_code, res.stdout, res.stderr) == (code, "", message), res
    res = lfdb.run("user", "delete", "admin", "--transfer-to", "carol", "--yes")
    assert (res.exit_code, res.stderr) == (
        10, "Error: refusing to delete 'admin': that is you, the invoking superuser\n"), res
    res = lfdb.run("user", "delete", "alice", "--allow-inactive")
    assert (res.exit_code, res.stderr) == (4, "Error: --allow-inactive goes with --transfer-to\n"), res
    assert lfdb.snapshot() == snap
    if lfdb.version == "1.6.9":  # the clash removed, the inactive target taken when asked
        (lfdb.config_dir.parent / "kbs" / "carol" / "docs").rmdir()
        res = lfdb.run("user", "transfer", "alice", "bob", "--allow-inactive", "--json", **env)
        assert res.exit_code == 0 and res.json["to"]["is_active"] is False, res
        assert owned(lfdb, "flow", str(lfdb.user("bob")["id"])) == ["Alice Secret Flow", "Shared"]


def test_a_move_failing_after_the_commit_is_finished_by_the_next_run(
    sqlite_db: LangflowDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash rule of `secrets rotate`: the journal written before the commit outlives a
    failed (or killed) move, and the next transfer makes the moves it still owes."""
    if sqlite_db.version != "1.6.9":
        pytest.skip("one release: the journal does not depend on it")
    sd = seed(sqlite_db)
    target = sd.carol_notes.parent / "notes (1).txt"
    real = files._rename_entry

    def fail(*args: object, **kw: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "_rename_entry", fail)  # the move's one rename
    res = sqlite_db.run("user", "transfer", "alice", "carol")
    assert (res.exit_code, res.stdout) == (4, ""), res
    assert res.stderr.endswith(
        f"Error: cannot move uploaded file {sd.notes} to {target}: Permission denied; move by hand, as the user "
        f"Langflow runs as ({sd.notes} -> {target}), or 'carol' cannot open them; the database WAS changed: 'carol' "
        "owns what 'alice' owned; its files were not all moved\n"
    ), res
    journal = sqlite_db.config_dir / "lfadmin-transfer.journal"
    assert oct(journal.stat().st_mode & 0o777) == "0o600" and owned(sqlite_db, "flow", sd.alice) == []
    monkeypatch.setattr(files, "_rename_entry", real)
    res = sqlite_db.run("user", "transfer", "alice", "root2")
    assert res.exit_code == 0, res
    assert "Warning: finished an interrupted transfer to 'carol': moved 1 of its files\n" in res.stderr
    assert target.read_text() == sd.alice[:5] and not journal.exists()
    # A journal whose transaction never committed (its witness still the old owner's) is dropped;
    # a dry run leaves it.
    here = sqlite_db.config_dir
    journal.write_text(json.dumps({"to": "x", "witness": {"table": "flow", "column": "user_id", "id": sd.team,
                                                        "owner": uuid.uuid4().hex},
                                   "moves": [["f", str(here / "a"), str(here / "b")]]}))
    journal.chmod(0o600)
    assert sqlite_db.run("user", "show", "alice").exit_code == 0
    assert sqlite_db.run("user", "transfer", "carol", "root2", "--dry-run").exit_code == 0
    assert journal.exists()
    assert sqlite_db.run("user", "transfer", "carol", "root2").exit_code == 0
    assert not journal.exists()


def _journal(db: LangflowDB, sd: Seeded, moves: list[list[str]], *, witness: bool = True, mode: int = 0o600) -> Path:
    """A journal whose witness (carol's default project, carol's) says its transfer committed."""
    where = db.config_dir / "lfadmin-transfer.journal"
    proof = {"table": "folder", "column": "user_id", "id": sd.carol_default, "owner": uuid.UUID(sd.carol).hex}
    where.write_text(json.dumps({"to": "carol", "witness": proof if witness else None, "moves": moves}))
    where.chmod(mode)
    return where


def test_a_forged_journal_is_refused_and_moves_nothing(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    """The config dir is Langflow's service user's; lfadmin may run as root. A journal naming no
    witness, moving something from outside the storage dir, not 0600, or a link is refused
    (10) before any move, and left for the operator to inspect."""
    if sqlite_db.version != "1.6.9":
        pytest.skip("one release: the journal does not depend on it")
    sd = seed(sqlite_db)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text("secret")
    inside = sqlite_db.config_dir / sd.carol / "stolen"
    in_root = [["uploaded file", str(sd.notes), str(inside)]]
    stolen = [["uploaded file", str(outside / "shadow"), str(inside)]]
    cases = [
        ("names no witness row, so whether its transfer committed cannot be proven", in_root, False, 0o600),
        (f"moves {outside / 'shadow'} to {inside}, outside the storage and knowledge-bases dirs", stolen, True, 0o600),
        ("has mode 0644, not 0600", in_root, True, 0o644),
    ]
    snap = sqlite_db.snapshot()
    for why, moves, witness, mode in cases:
        where = _journal(sqlite_db, sd, moves, witness=witness, mode=mode)
        res = sqlite_db.run("user", "transfer", "alice", "root2")
        assert res.exit_code == 10 and f"journal) {why}; it was not used and nothing was moved" in res.stderr, res.stderr
        assert where.exists()
    link = sqlite_db.config_dir / "real.journal"
    where.rename(link)
    link.chmod(0o600)
    where.symlink_to(link)
    res = sqlite_db.run("user", "transfer", "alice", "root2")
    assert res.exit_code == 10 and "journal) is a symbolic link" in res.stderr, res
    assert (outside / "shadow").read_text() == "secret" and sd.notes.read_text() == sd.alice[:5]
    assert not inside.exists() and sqlite_db.snapshot() == snap


def test_a_dry_run_leaves_a_pending_journal_and_moves_nothing(sqlite_db: LangflowDB) -> None:
    """A dry run changes nothing, a journal's moves included: it says one is pending; the next
    real run finishes it."""
    if sqlite_db.version != "1.6.9":
        pytest.skip("one release: the journal does not depend on it")
    sd = seed(sqlite_db)
    inside = sqlite_db.config_dir / sd.carol / "moved.txt"
    where = _journal(sqlite_db, sd, [["uploaded file", str(sd.notes), str(inside)]])
    before = where.read_bytes()
    res = sqlite_db.run("user", "transfer", "carol", "root2", "--dry-run")
    assert res.exit_code == 0, res
    assert f"Warning: an interrupted transfer's journal is pending ({where})" in res.stderr
    assert where.read_bytes() == before and sd.notes.exists() and not inside.exists()
    res = sqlite_db.run("user", "transfer", "carol", "root2")
    assert res.exit_code == 0, res
    assert "finished an interrupted transfer to 'carol': moved 1 of its files" in res.stderr
    assert inside.read_text() == sd.alice[:5] and not where.exists()


def _kb_row(db: LangflowDB, owner: str, name: str) -> str:
    kb = str(uuid.uuid4())
    insert(db, "knowledge_base", id=uid(db, kb), name=name, user_id=uid(db, owner), model_selection="{}",
           chunk_size=1000, chunk_overlap=200, column_config="[]", backend_type="sqlite", backend_config="{}",
           storage_generation=1, storage_state="active", chunks=0, words=0, characters=0, size_bytes=0,
           source_types="[]", status="ready", created_at=NOW, updated_at=NOW)
    return kb


def test_core_moves_knowledge_bases_as_each_release_keys_them(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    """Before 1.13 a base is ``<dir>/<username>/<name>``; 1.13 keeps its store under the owner's id
    and leaves the legacy folders, which it fingerprints, where they are."""
    root = tmp_path / "kbs"
    alice, carol = str(sqlite_db.user("alice")["id"]), str(sqlite_db.user("carol")["id"])
    (root / "alice" / "docs").mkdir(parents=True)
    (root / "alice" / "docs" / "embedding_metadata.json").write_text("{}")
    moves = [("knowledge base", root / "alice" / "docs", root / "carol" / "docs", "moved")]
    if sqlite_db.version == "1.13.0":
        kb = _kb_row(sqlite_db, alice, "docs")
        store = root / "sqlite" / alice / kb
        (store / "1").mkdir(parents=True)
        moves = [("knowledge base", store, root / "sqlite" / carol / kb, "moved"),
                 ("knowledge base", root / "alice", None, "kept")]
    target = make_target(sqlite_db, tmp_path)
    with open(target.env_file, "a") as f:  # type: ignore[arg-type]
        f.write(f"LANGFLOW_KNOWLEDGE_BASES_DIR={root}\n")
    done = transfer.transfer(target, "alice", "carol")
    assert [(m.what, m.path, m.to, m.action) for m in done.disk] == moves
    assert all(m.to is None or m.to.is_dir() for m in done.disk)
    if sqlite_db.version == "1.13.0":
        assert sqlite_db.query("SELECT name FROM knowledge_base WHERE user_id = :u", u=uid(sqlite_db, carol)) == [("docs",)]
        assert (root / "alice" / "docs").is_dir()
    assert json.loads(json.dumps(done.to_json()))["to"]["username"] == "carol"


def test_langflow_naming_rules() -> None:
    assert names.flow_name("Flow", {"Flow", "Flow (1)", "Flow (3)", "Flow (x)"}) == "Flow (4)"
    assert names.flow_name("Analytics (Q1)", {"Analytics (Q1)"}) == "Analytics (Q1) (1)"
    assert names.endpoint_name("ep", {"ep", "ep-2", "ep-x"}) == "ep-3"
    assert names.project_name("Team", {"Team", "Teamwork (7)"}) == "Team (8)"  # Langflow's LIKE 'Team%'
    assert names.file_name("notes", {"notes", "notes (2)"}) == "notes (3)"
    assert names.resolve(names.flow_name, "A", {"A", "A (1) (1)", "A (1)"}) == "A (2)"


@pytest.mark.interop
def test_langflow_lists_the_flows_to_their_new_owner(lfdb: LangflowDB) -> None:
    seed(lfdb)
    res = lfdb.run("user", "delete", "alice", "--transfer-to", "carol", "--yes")
    assert res.exit_code == 0, res
    r = langflow_check(lfdb, [
        {"op": "list_flows", "username": "carol"},
        {"op": "folders", "username": "carol"},
        {"op": "user", "username": "alice"},
        {"op": "user_refs", "user_id": str(lfdb.user("alice")["id"])},
    ])
    assert all(x["ok"] for x in r), r
    assert r[0]["names"] == ["Alice Secret Flow", "Alice Secret Flow (1)", "Shared", "Shared (1)"]
    assert {f["name"]: f["flow_count"] for f in r[1]["folders"]} == {"Starter Project": 3, "Team": 0, "Team (1)": 1}
    assert r[2]["exists"] is False and r[3]["refs"] == {}, r[2:4]
    assert os.listdir(lfdb.config_dir / str(lfdb.user("carol")["id"])) != []


def test_a_file_row_through_a_linked_folder_moves_nothing(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    """The reviewer's reproduction: alice's folder ``<storage>/<alice id>`` made a link to another
    directory; a root transfer must not move that directory's file into storage."""
    sd = seed(sqlite_db)
    elsewhere = tmp_path / "elsewhere"
    sd.notes.parent.rename(elsewhere)
    sd.notes.parent.symlink_to(elsewhere)
    snap = sqlite_db.snapshot()
    res = sqlite_db.run("user", "transfer", "alice", "carol")
    assert res.exit_code == 10 and "is a symbolic link or not a directory" in res.stderr, res
    assert (elsewhere / "notes.txt").read_text() == sd.alice[:5]
    assert not (sd.carol_notes.parent / "notes (1).txt").exists()
    assert sqlite_db.snapshot() == snap


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a folder away")
def test_a_folder_a_root_transfer_makes_belongs_to_the_storage_owner(sqlite_db: LangflowDB) -> None:
    """Langflow runs as its own user: the new owner's folder a root transfer makes must be that
    user's (the storage dir's owner, group and mode), or the server cannot write uploads there."""
    sd = seed(sqlite_db)
    root2 = str(sqlite_db.user("root2")["id"])
    os.chown(sqlite_db.config_dir, 65534, 65534)
    res = sqlite_db.run("user", "transfer", "alice", "root2")
    assert res.exit_code == 0, res
    made = sqlite_db.config_dir / root2
    assert (made / "notes.txt").read_text() == sd.alice[:5]
    st, parent = made.stat(), sqlite_db.config_dir.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (65534, 65534, parent.st_mode & 0o7777)
