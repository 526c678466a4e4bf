"""`lfadmin user rename` on databases made by real Langflow 1.6.9, 1.8.4 and 1.13.0, on SQLite and
PostgreSQL: the row as Langflow's PATCH /api/v1/users/{id} leaves it, every refusal, the
knowledge-base folder, and real Langflow logging the user in by its new name."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from lfadmin import files
from tests.support.databases import LangflowDB
from tests.support.langflow import langflow_check
from tests.support.rows import user_row, usernames
from tests.support.secrets_seed import kb_env


def kb_root(tmp_path: Path, *owners: str) -> Path:
    root = tmp_path / "kbs"
    for owner in owners:
        (root / owner / "docs").mkdir(parents=True)
        (root / owner / "docs" / "embedding_metadata.json").write_text('{"api_key": null}')
    root.mkdir(exist_ok=True)
    return root


def test_rename_changes_username_and_updated_at_only(lfdb: LangflowDB) -> None:
    before = user_row(lfdb, "alice")
    res = lfdb.run("user", "rename", "alice", "alicia")
    assert (res.exit_code, res.stdout, res.stderr) == (0, "", "Renamed 'alice' to 'alicia'\n"), res
    after = user_row(lfdb, "alicia")
    assert after["updated_at"] != before["updated_at"]
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert "alice" not in usernames(lfdb)


def test_rename_json(db184: LangflowDB) -> None:
    res = db184.run("user", "rename", "carol", "caroline", "--json")
    assert res.exit_code == 0, res
    doc = res.json
    assert doc["user"]["username"] == "caroline"
    assert {k: doc[k] for k in ("old_username", "renamed", "dry_run", "knowledge_base_folder")} == {
        "old_username": "carol", "renamed": True, "dry_run": False, "knowledge_base_folder": None,
    }


def test_case_only_rename_of_one_user(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "rename", "alice", "Alice")
    assert res.exit_code == 0, res
    assert "Alice" in usernames(lfdb) and "alice" not in usernames(lfdb)


def test_dry_run_changes_nothing(lfdb: LangflowDB) -> None:
    snap = lfdb.snapshot()
    res = lfdb.run("user", "rename", "alice", "alicia", "--dry-run", "--json")
    assert res.exit_code == 0, res
    assert (res.json["renamed"], res.json["dry_run"], res.json["user"]["username"]) == (False, True, "alice")
    text = lfdb.run("user", "rename", "alice", "alicia", "--dry-run")
    assert text.stderr == "Dry run: 'alice' would be renamed to 'alicia'; nothing was changed\n", text
    assert lfdb.snapshot() == snap


@pytest.mark.parametrize(
    ("old", "new", "code", "message"),
    [
        ("nobody", "x", 8, "Error: no user 'nobody'\n"),
        ("Alice", "x", 8, "Error: no user 'Alice' (did you mean 'alice'? usernames are case-sensitive)\n"),
        ("alice", "bob", 9, "Error: user 'bob' already exists\n"),
        ("alice", "BOB", 9, "Error: user 'BOB' conflicts with existing 'bob': usernames that differ only in case "
                            "are one user to Langflow 1.13 (its unique index on lower(username))\n"),
        ("alice", "alice", 4, "Error: 'alice' is already called 'alice'\n"),
        ("alice", " ", 4, "Error: username is empty\n"),
        ("alice", "al\tice", 4, "Error: username 'al\\tice' contains control characters\n"),
        ("alice", " alice", 4, "Error: username ' alice' starts or ends with white space\n"),
    ],
)
def test_refusals(lfdb: LangflowDB, old: str, new: str, code: int, message: str) -> None:
    snap = lfdb.snapshot()
    res = lfdb.run("user", "rename", old, new)
    assert (res.exit_code, res.stdout, res.stderr) == (code, "", message), res
    assert lfdb.snapshot() == snap


def test_case_twins_refused_before_113_too(sqlite_db: LangflowDB) -> None:
    """1.6-1.12 would take a twin (their index is exact); lfadmin refuses it on every release."""
    if sqlite_db.version != "1.6.9":
        pytest.skip("the pre-1.13 case")
    res = sqlite_db.run("user", "rename", "alice", "Carol")
    assert res.exit_code == 9 and "conflicts with existing 'carol'" in res.stderr, res


def test_twin_fixed_by_renaming_one(sqlite_db: LangflowDB) -> None:
    """The fix `upgrade check` points to: two case twins, one renamed to a distinct name."""
    if sqlite_db.version != "1.6.9":
        pytest.skip("1.13 cannot hold case twins")
    sqlite_db.execute('UPDATE "user" SET username = :n WHERE username = :o', n="Alice", o="carol")
    res = sqlite_db.run("user", "rename", "Alice", "alice-2")
    assert res.exit_code == 0, res
    names = usernames(sqlite_db)
    assert "alice-2" in names and len({n.lower() for n in names}) == len(names)


def test_renaming_yourself_and_the_configured_superuser_warns(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "rename", "admin", "boss")
    assert res.exit_code == 0, res
    assert res.stderr == (
        "Warning: you renamed yourself: authenticate as 'boss' from now on\n"
        "Warning: LANGFLOW_SUPERUSER is 'admin' (the environment): set it to 'boss' too, or Langflow's next start "
        "looks for (or creates) a superuser 'admin' that is no longer there\n"
        "Renamed 'admin' to 'boss'\n"
    )


def test_renaming_to_langflow_refused_when_langflow_would_delete_it(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "rename", "root2", "langflow")
    assert res.exit_code == 10, res
    assert "Langflow deletes a superuser named 'langflow'" in res.stderr


# -- knowledge-base folders -------------------------------------------------------------------


def test_kb_folder_moves_before_113(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    root = kb_root(tmp_path, "alice", "bob")
    res = sqlite_db.run("user", "rename", "alice", "alicia", "--json", **kb_env(root))
    assert res.exit_code == 0, res
    if sqlite_db.version == "1.13.0":  # keyed by owner id: Langflow's own rename leaves it
        assert res.json["knowledge_base_folder"] == {"path": str(root / "alice"), "to": None, "action": "kept"}
        assert sorted(os.listdir(root)) == ["alice", "bob"]
        return
    assert res.json["knowledge_base_folder"] == {
        "path": str(root / "alice"), "to": str(root / "alicia"), "action": "moved",
    }
    assert sorted(os.listdir(root)) == ["alicia", "bob"]
    assert (root / "alicia" / "docs" / "embedding_metadata.json").read_text() == '{"api_key": null}'


def test_kb_folder_text(db184: LangflowDB, tmp_path: Path) -> None:
    root = kb_root(tmp_path, "alice")
    res = db184.run("user", "rename", "alice", "alicia", "--dry-run", **kb_env(root))
    assert res.stderr == (
        f"Would move knowledge-base folder {root / 'alice'} to {root / 'alicia'}\n"
        "Dry run: 'alice' would be renamed to 'alicia'; nothing was changed\n"
    ), res
    assert sorted(os.listdir(root)) == ["alice"]
    res = db184.run("user", "rename", "alice", "alicia", **kb_env(root))
    assert res.stderr == (
        f"Moved knowledge-base folder {root / 'alice'} to {root / 'alicia'}\nRenamed 'alice' to 'alicia'\n"
    ), res


def test_kb_folder_kept_on_113(db113: LangflowDB, tmp_path: Path) -> None:
    root = kb_root(tmp_path, "alice", "alicia")  # even a folder under the new name: 1.13 ignores names
    res = db113.run("user", "rename", "alice", "alicia", **kb_env(root))
    assert (res.exit_code, res.stdout) == (0, ""), res
    assert res.stderr == (
        f"Knowledge-base folder {root / 'alice'} kept: Langflow 1.13 does not key it by username\n"
        "Renamed 'alice' to 'alicia'\n"
    )
    assert sorted(os.listdir(root)) == ["alice", "alicia"]


@pytest.mark.parametrize("case", ["destination", "stale destination", "symlink", "not writable"])
def test_kb_folder_refusals_before_commit(sqlite_db: LangflowDB, tmp_path: Path, case: str) -> None:
    if sqlite_db.version == "1.13.0":
        pytest.skip("1.13 moves no folder")
    root = kb_root(tmp_path, "alice")
    if case == "destination":
        (root / "alicia").mkdir()
    elif case == "stale destination":  # a former alicia's bases must not become alice's
        os.rename(root / "alice", root / "alicia")
    elif case == "symlink":
        os.rename(root / "alice", tmp_path / "elsewhere")
        (root / "alice").symlink_to(tmp_path / "elsewhere")
    elif os.geteuid() == 0:  # root writes anywhere, but not into an immutable directory
        if subprocess.run(["chattr", "+i", str(root)], capture_output=True).returncode != 0:
            pytest.skip("root writes anywhere, and chattr +i is not available here")
    else:
        root.chmod(0o500)
    snap = sqlite_db.snapshot()
    try:
        res = sqlite_db.run("user", "rename", "alice", "alicia", **kb_env(root))
    finally:
        if case == "not writable" and os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(root)], check=True)
        root.chmod(0o700)
    want = {
        "destination": (9, f"Error: knowledge-base folder {root / 'alicia'} already exists; nothing changed"),
        "stale destination": (9, f"Error: knowledge-base folder {root / 'alicia'} already exists; nothing changed"),
        "symlink": (10, f"Error: knowledge-base folder {root / 'alice'} is a symbolic link"),
        "not writable": (10, f"Error: cannot move knowledge-base folder {root / 'alice'}: {root} is not writable"),
    }[case]
    assert res.exit_code == want[0] and res.stderr.startswith(want[1]), res
    assert sqlite_db.snapshot() == snap


def test_kb_move_failing_after_commit_says_what_was_done(
    sqlite_db: LangflowDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sqlite_db.version == "1.13.0":
        pytest.skip("1.13 moves no folder")
    root = kb_root(tmp_path, "alice")

    def fail(*args: object, **kw: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "_rename_entry", fail)  # the move's one rename
    res = sqlite_db.run("user", "rename", "alice", "alicia", **kb_env(root))
    assert (res.exit_code, res.stdout) == (4, ""), res
    assert res.stderr == (
        f"Error: cannot move knowledge-base folder {root / 'alice'} to {root / 'alicia'}: Permission denied: move "
        "it by hand, as the user Langflow runs as, or 'alicia' sees none of its knowledge bases; the database WAS "
        "changed: 'alice' is now 'alicia'\n"
    )
    assert "alicia" in usernames(sqlite_db)


# -- real Langflow ----------------------------------------------------------------------------


def user_by_id(db: LangflowDB, user_id: object) -> dict[str, object]:
    with db.connection() as conn:
        from sqlalchemy import text

        return dict(conn.execute(text('SELECT * FROM "user" WHERE id = :i'), {"i": user_id}).mappings().one())


def changed(before: dict[str, object], after: dict[str, object]) -> set[str]:
    return {k for k in before if before[k] != after[k]}


@pytest.mark.interop
def test_langflow_logs_the_renamed_user_in_and_renames_the_same_columns(lfdb: LangflowDB) -> None:
    alice, bob = user_row(lfdb, "alice")["id"], user_row(lfdb, "bob")["id"]
    before = {"alice": user_by_id(lfdb, alice), "bob": user_by_id(lfdb, bob)}
    res = lfdb.run("user", "rename", "alice", "Alicia")
    assert res.exit_code == 0, res
    password = lfdb.password("alice")
    r = langflow_check(lfdb, [
        {"op": "login", "username": "Alicia", "password": password},
        {"op": "login", "username": "alice", "password": password},
        {"op": "twin_update_user", "username": "bob", "new_username": "Bobby"},  # Langflow's own rename
        {"op": "schema_check"},
    ])
    assert all(x["ok"] for x in r), r
    assert r[0]["result"] == "ok" and r[0]["user_id"] == str(lfdb.user("alice")["id"]), r[0]
    assert r[1]["result"] == "no_user", r[1]
    assert r[3]["result"] == "ok", r[3]
    ours, theirs = user_by_id(lfdb, alice), user_by_id(lfdb, bob)
    assert changed(before["alice"], ours) == changed(before["bob"], theirs) == {"username", "updated_at"}
    assert (ours["username"], theirs["username"]) == ("Alicia", "Bobby")
    # The same column type and format (SQLite stores text): one clock, written the same way.
    assert type(ours["updated_at"]) is type(theirs["updated_at"])
    assert len(str(ours["updated_at"])) == len(str(theirs["updated_at"])), (ours["updated_at"], theirs["updated_at"])


@pytest.mark.interop
def test_langflow_169_lists_the_moved_knowledge_bases(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    """After the rename, Langflow's own knowledge-base listing shows the user its bases."""
    if sqlite_db.version != "1.6.9":
        pytest.skip("1.13 keys knowledge bases by owner id")
    root = kb_root(tmp_path, "alice", "bob")
    res = sqlite_db.run("user", "rename", "alice", "alicia", **kb_env(root))
    assert res.exit_code == 0, res
    r = langflow_check(sqlite_db, [
        {"op": "kb_list", "username": "alicia", "root": str(root)},
        {"op": "kb_list", "username": "bob", "root": str(root)},
    ])
    assert all(x["ok"] for x in r), r
    assert (r[0]["ids"], r[1]["ids"]) == (["docs"], ["docs"]), r


def test_a_writer_getting_there_first_is_a_conflict(lfdb: LangflowDB, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer takes the name between lfadmin's check and its update: the database's unique
    index refuses it (exit 9), nothing changed."""
    from lfadmin.core import users

    monkeypatch.setattr(users, "find_user", lambda s, name: None)
    monkeypatch.setattr(users, "case_twins", lambda s, name: [])
    snap = lfdb.snapshot()
    res = lfdb.run("user", "rename", "alice", "bob")
    assert res.exit_code == 9 and res.stderr.startswith("Error: the database refused the change: "), res
    assert res.stderr.endswith("; nothing was changed\n"), res
    assert lfdb.snapshot() == snap


def test_user_apply_renames_by_the_same_rules(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    """A manifest that renames a user goes through `user rename`'s rules: a case twin is refused
    on every release (nothing changed), and before 1.13 the knowledge-base folder follows."""
    root = kb_root(tmp_path, "alice")
    doc = sqlite_db.run("user", "export").json
    alice = next(u for u in doc["users"] if u["username"] == "alice")
    manifest = tmp_path / "users.json"
    snap = sqlite_db.snapshot()
    alice["username"] = "Bob"
    manifest.write_text(json.dumps(doc))
    res = sqlite_db.run("user", "apply", str(manifest), **kb_env(root))
    assert res.exit_code == 9 and res.stderr.startswith("Error: user 'Bob' conflicts with existing 'bob'"), res
    assert sqlite_db.snapshot() == snap
    alice["username"] = "alicia"
    manifest.write_text(json.dumps(doc))
    res = sqlite_db.run("user", "apply", str(manifest), **kb_env(root))
    assert res.exit_code == 0, res
    moved = sqlite_db.version != "1.13.0"  # 1.13 keys knowledge bases by owner id: no folder moves
    assert (root / "alicia" / "docs").is_dir() is moved and (root / "alice").exists() is not moved
