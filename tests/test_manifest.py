"""`lfadmin user export/diff/apply`: declarative users in Langflow 1.13's manifest shape."""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt

from lfadmin.core import audit
from tests.support.databases import LangflowDB


def write(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "users.json"
    p.write_text(json.dumps(doc))
    return p


def test_export_roundtrip_has_no_differences(lfdb: LangflowDB, tmp_path: Path) -> None:
    res = lfdb.run("user", "export")
    assert res.exit_code == 0, res
    doc = res.json
    assert doc["apiVersion"] == "langflow.ai/v1" and doc["kind"] == "AdminState"
    assert {u["username"]: u["state"] for u in doc["users"]}["bob"] == "disabled"
    assert "password" not in res.stdout
    path = write(tmp_path, doc)
    res = lfdb.run("user", "diff", str(path))
    assert (res.exit_code, res.stderr) == (0, "No differences\n")


def test_diff_exits_3_and_apply_converges(lfdb: LangflowDB, tmp_path: Path) -> None:
    doc = {
        "apiVersion": "langflow.ai/v1",
        "kind": "AdminState",
        "users": [
            {"username": "bob", "state": "active"},
            {"username": "carol", "superuser": True},
            {"username": "newbie", "state": "active", "password_env": "NEWBIE_PW"},
        ],
    }
    path = write(tmp_path, doc)
    before = lfdb.snapshot()
    res = lfdb.run("user", "diff", str(path), "--json")  # diff needs no secrets
    assert res.exit_code == 3
    assert res.json == {
        "schema_version": 1,
        "changes": [
            {"action": "update", "kind": "user", "name": "bob", "changes": ["state"]},
            {"action": "update", "kind": "user", "name": "carol", "changes": ["superuser"]},
            {"action": "create", "kind": "user", "name": "newbie", "changes": []},
        ]
    }
    res = lfdb.run("user", "apply", str(path), "--dry-run", "--json", NEWBIE_PW="Newbie-pass-1")
    assert res.exit_code == 0 and res.json["dry_run"] is True and len(res.json["changes"]) == 3
    assert lfdb.snapshot() == before
    res = lfdb.run("user", "apply", str(path), NEWBIE_PW="Newbie-pass-1")
    assert res.exit_code == 0, res
    assert res.stderr.endswith("Applied 3 change(s)\n")
    # Promoting carol grants superuser rights: recorded like `user promote` records them.
    records = audit.read(lfdb.config_dir / audit.FILE_NAME)
    assert [(r["event"], r["username"], r["result"], r["actor"]) for r in records] == [
        ("superuser.promote", "carol", "granted", "admin")
    ]
    pw = lfdb.query('SELECT password FROM "user" WHERE username = :u', u="newbie")[0][0]
    assert bcrypt.checkpw(b"Newbie-pass-1", pw.encode())
    res = lfdb.run("user", "diff", str(path), NEWBIE_PW="Newbie-pass-1")
    assert res.exit_code == 0


def test_new_user_without_password_env_changes_nothing(lfdb: LangflowDB, tmp_path: Path) -> None:
    path = write(tmp_path, {"apiVersion": "langflow.ai/v1", "kind": "AdminState", "users": [{"username": "x", "password_env": "MISSING_PW"}]})
    before = lfdb.snapshot()
    res = lfdb.run("user", "apply", str(path))
    assert (res.exit_code, res.stderr) == (4, "Error: new user 'x' requires environment variable 'MISSING_PW'\n")
    assert lfdb.snapshot() == before


def test_bad_manifests(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"apiVersion": "langflow.ai/v1",\n "kind": "AdminState", "users": [{"username": "a", "password": "x"}]}')
    res = sqlite_db.run("user", "diff", str(path))
    assert (res.exit_code, res.stderr) == (
        4,
        f"Error: {path}: users[0]: unknown field(s) password (passwords never go in the file: name an "
        "environment variable with password_env)\n",
    )
    path.write_text("{not json")
    res = sqlite_db.run("user", "diff", str(path))
    assert res.exit_code == 4 and res.stderr.startswith(f"Error: {path}:1: not valid JSON")
