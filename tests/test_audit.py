"""The audit trail (docs/audit.md): one hash-chained record per change, failures included;
``audit verify`` finds an edited, deleted, inserted or moved line; ``audit list`` merges
Langflow's own audit tables and filters."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.databases import LangflowDB
from tests.support.rows import AUDIT, audit_records, insert_langflow_audit_rows

KEYS = [
    "time", "command", "target", "outcome", "exit_code", "error", "actor", "actor_id", "authenticated",
    "auth_method", "auth_rule", "auth_evidence", "langflow_release", "database", "os_user", "host", "pid",
    "lfadmin_version", "event", "prev",
]
GENESIS = "0" * 64
BROKEN = "(a line was edited, deleted, inserted or moved there) (compare with a backup of the trail; lfadmin never rewrites it)"


def _sha(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def test_each_change_leaves_one_chained_record(db113: LangflowDB) -> None:
    db = db113
    assert db.run("user", "create", "dora", "--password-env", "PW", PW="Dora-pw-2026-long").exit_code == 0
    assert db.run("user", "delete", "carol", "--dry-run").exit_code == 0  # a dry run: no record
    assert db.run("user", "list").exit_code == 0  # a read: no record
    assert db.run("api-key", "revoke", "alice-key", "--user", "alice").exit_code == 0
    assert db.run("user", "transfer", "bob", "carol", "--dry-run").exit_code == 0  # no record
    assert db.run("user", "transfer", "bob", "carol").exit_code == 0  # a command of its own, recorded alike
    refused = db.run("user", "delete", "admin", "--yes")  # refused after authentication
    assert refused.exit_code == 10
    wrong = db.run("user", "promote", "alice", user="root2", LANGFLOW_SUPERUSER_PASSWORD="Wrong-pass-123")
    assert wrong.exit_code == 7

    records = audit_records(db)
    assert [(r["command"], r["target"], r["outcome"], r["exit_code"]) for r in records] == [
        ("user create", ["user dora"], "ok", 0),
        ("api-key revoke", [f"api-key {next(k['id'] for k in db.manifest['api_keys'] if k['name'] == 'alice-key')} of alice"], "ok", 0),
        ("user transfer", ["user bob", "user carol"], "ok", 0),
        ("user delete", ["user admin"], "error", 10),
        ("user promote", [], "error", 7),  # failed before it named what it acts on
    ]
    made = records[0]
    assert list(made) == KEYS
    admin_id = str(db.user("admin")["id"])
    assert {k: made[k] for k in KEYS[5:14]} == {
        "error": None,
        "actor": "admin",
        "actor_id": admin_id,
        "authenticated": True,
        "auth_method": "api-key",
        "auth_rule": "LANGFLOW_AUTO_LOGIN=False (set in the environment); API key from LANGFLOW_API_KEY (environment)",
        "auth_evidence": made["auth_evidence"],
        "langflow_release": "1.13.0",
        "database": made["database"],
    }
    assert made["auth_evidence"].startswith("the API key from LANGFLOW_API_KEY (environment) matches apikey row ")
    assert "***" in made["database"] if db.backend == "postgresql" else made["database"] == db.url
    assert (made["event"], made["pid"] > 0, made["lfadmin_version"]) == (None, True, "0.1.0")
    assert records[3]["error"] == refused.stderr.removeprefix("Error: ").rstrip("\n")
    # A failed authentication: the name it claimed, unproven; the error line as printed.
    claimed = {k: records[4][k] for k in ("actor", "actor_id", "authenticated", "auth_method", "auth_evidence")}
    assert claimed == {"actor": "root2", "actor_id": None, "authenticated": False, "auth_method": "password", "auth_evidence": None}
    assert records[4]["error"] == wrong.stderr.removeprefix("Error: ").rstrip("\n")
    # The chain: each line names the hash of the one before it.
    lines = (db.config_dir / AUDIT).read_bytes().splitlines()
    assert [r["prev"] for r in records] == [GENESIS, *(_sha(line) for line in lines[:-1])]
    assert "Dora-pw-2026-long" not in (db.config_dir / AUDIT).read_text()


def test_list_merges_langflow_audit_tables_and_filters(db113: LangflowDB) -> None:
    db = db113
    assert db.run("user", "deactivate", "alice").exit_code == 0
    event_id, decision_id = insert_langflow_audit_rows(db, "bob", datetime.now(timezone.utc) - timedelta(days=2))

    data = db.run("audit", "list", "--json").json
    assert data["trail"] == str(db.config_dir / AUDIT)
    assert data["sources"] == ["lfadmin", "langflow:audit_events", "langflow:authz_audit_log"]
    shown = [(e["source"], e["actor"], e["auth_method"], e["action"], e["target"], e["outcome"], e["line"]) for e in data["events"]]
    assert shown[0][:4] == ("langflow:audit_events", "bob", "user", "flow:write")
    assert shown[0][4:] == (["flow Support bot"], "succeeded", None)
    assert shown[1][:4] == ("langflow:authz_audit_log", "bob", "user", "flow:read")
    assert shown[1][5:] == ("allow", None)
    assert shown[2] == ("lfadmin", "admin", "api-key", "user deactivate", ["user alice"], "ok", 1)
    assert (data["events"][0]["record"]["id"], data["events"][1]["record"]["id"]) == (event_id, decision_id)
    assert data["events"][0]["record"]["operation"] == "patch"

    def actions(*options: str) -> list[str]:
        return [e["action"] for e in db.run("audit", "list", "--json", *options).json["events"]]

    assert actions("--since", "1d") == ["user deactivate"]
    assert actions("--since", "2000-01-01") == ["flow:write", "flow:read", "user deactivate"]
    assert actions("--actor", "bob") == ["flow:write", "flow:read"]
    assert actions("--action", "flow") == ["flow:write", "flow:read"]
    assert actions("--action", "flow:write") == ["flow:write"]
    assert actions("--action", "user", "--actor", "admin") == ["user deactivate"]
    assert actions("--action", "use") == []  # a word, not any prefix
    piped = db.run("audit", "list", "--action", "user")
    assert piped.exit_code == 0
    (row,) = piped.stdout.splitlines()
    assert row.split("\t")[1:] == ["lfadmin", "admin", "user deactivate", "user alice", "ok", "api-key"]
    bad = db.run("audit", "list", "--since", "yesterday")
    assert (bad.exit_code, bad.stdout) == (4, "")
    assert bad.stderr.startswith("Error: --since 'yesterday' is not a date or time like 2027-01-31")
    # Reading needs a superuser, like every admin read.
    denied = db.run("audit", "list", user="alice")
    assert (denied.exit_code, denied.stdout) == (7, "")


def _verify(path: Path, *options: str) -> tuple[int, str, str]:
    r = run("audit", "verify", *options, env={"LFADMIN_AUDIT_LOG": str(path)})
    return r.exit_code, r.stdout, r.stderr


def test_verify_names_the_first_line_that_does_not_chain(tmp_path: Path) -> None:
    from lfadmin.core.audit.trail import Location, append

    path = tmp_path / "trail.jsonl"
    assert _verify(path) == (8, "", f"Error: no audit trail at {path}: nothing has been recorded there yet\n")
    loc = Location(path, "test")
    for n in range(4):
        append(loc, {"n": n})
    lines = path.read_bytes().splitlines(keepends=True)
    assert _verify(path) == (0, _sha(lines[3]) + "\n", f"intact: 4 record(s) in {path}; the chain starts at line 1\n")

    not_chained = f"does not chain to the line before it {BROKEN}"
    cases = {
        "edited": ([lines[0], lines[1].replace(b'"n": 1', b'"n": 7'), *lines[2:]], 3, not_chained),
        "deleted": ([lines[0], *lines[2:]], 2, not_chained),
        "reordered": ([lines[0], lines[2], lines[1], lines[3]], 2, not_chained),
        "inserted": ([*lines[:2], b'{"n": 9}\n', *lines[2:]], 3, f"is not a chained record {BROKEN}"),
        "first deleted": (lines[1:], 1, not_chained),
    }
    for case, (content, line, why) in cases.items():
        path.write_bytes(b"".join(content))
        assert _verify(path) == (12, "", f"Error: the audit trail {path} is broken at line {line}: it {why}\n"), case

    # A trail an older lfadmin began: kept as it is, and the chain starts after it.
    path.write_bytes(b'{"event": "superuser.create"}\n{"event": "secret.reveal"}\n')
    append(loc, {"n": 0})
    code, out, err = _verify(path, "--json")
    assert (code, err) == (0, "")
    assert sorted(json.loads(out).items()) == sorted(
        {
            "schema_version": 1,
            "trail": str(path),
            "intact": True,
            "records": 3,
            "unchained": 2,
            "chain_starts_at_line": 3,
            "head": _sha(path.read_bytes().splitlines()[2]),
        }.items()
    )


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    from lfadmin.core.audit.trail import verify

    path = tmp_path / "trail.jsonl"
    script = (
        "import sys\nfrom pathlib import Path\nfrom lfadmin.core.audit.trail import Location, append\n"
        "for n in range(40):\n    append(Location(Path(sys.argv[1]), 'test'), {'writer': sys.argv[2], 'n': n})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), w]) for w in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    done = verify(path)
    assert (done.records, done.chain_starts) == (80, 1)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_new_command_is_recorded_by_naming_its_subject(db113: LangflowDB, tmp_path: Path) -> None:
    """Core as a library: any write session is recorded; a command only names what it acts on
    (``command`` is null without the CLI). A dry run records nothing."""
    from lfadmin.core.target import Target
    from lfadmin.errors import Conflict
    from tests.support.core import make_target

    def transfer(target: Target, old: str, new: str, *, dry_run: bool = False) -> None:
        with target.session(write=not dry_run) as s:
            s.subject(f"user {old}")
            s.subject(f"user {new}")
            if old == new:
                raise Conflict("same user")

    target = make_target(db113, tmp_path)
    transfer(target, "alice", "bob")
    transfer(target, "alice", "bob", dry_run=True)
    with pytest.raises(Conflict):
        transfer(target, "carol", "carol")
    records = audit_records(db113)
    assert [(r["command"], r["target"], r["outcome"], r["exit_code"], r["error"], r["actor"]) for r in records] == [
        (None, ["user alice", "user bob"], "ok", 0, None, "admin"),
        (None, ["user carol"], "error", 9, "same user", "admin"),
    ]


# -- no record, no change: a change made outside a transaction ---------------------------------


def _unwritable_trail(tmp_path: Path) -> Path:
    """A trail under a regular file: no directory can be made there, nothing appended."""
    (tmp_path / "notadir").write_text("")
    return tmp_path / "notadir" / "a.jsonl"


def _changes(tmp_path: Path) -> tuple[LangflowDB, dict[str, list[str]]]:
    """A SQLite 1.13.0 database with a user added after its backup and old run history, and
    the argv of each command that changes something outside a transaction."""
    from tests.support import history
    from tests.support.databases import make_db

    db = next(make_db("sqlite", "1.13.0", tmp_path))
    backup = tmp_path / "b.db"
    assert db.run("backup", "create", str(backup)).exit_code == 0
    assert db.run("user", "create", "dora", "--password-env", "PW", PW="Dora-pw-2026-long").exit_code == 0
    history.seed(db, str(db.manifest["flows"][0]["id"]), 48)
    return db, {
        "restore": ["backup", "restore", str(backup), "--yes"],
        "prune": ["db", "prune", "--older-than", "1d"],
        "vacuum": ["db", "vacuum"],
        "generate": ["secrets", "generate", "--write-env", str(tmp_path / "new.env")],
    }


@pytest.mark.parametrize("command", ["restore", "prune", "vacuum", "generate"])
def test_an_unwritable_trail_refuses_before_anything_changes(tmp_path: Path, command: str) -> None:
    """Restore, prune, vacuum and secrets generate cannot be rolled back: the trail is proven
    writable first, so a trail that cannot take the record leaves the database (and the key
    file) as they were - exit 5, the audit error alone, no "WAS changed"."""
    from tests.support.cli import assert_one_error

    db, argv = _changes(tmp_path)
    trail = _unwritable_trail(tmp_path)
    before = db.snapshot()
    res = db.run(*argv[command], LFADMIN_AUDIT_LOG=str(trail))
    assert_one_error(res, 5, f"cannot write the audit trail {trail} (LFADMIN_AUDIT_LOG")
    assert "WAS changed" not in res.stderr
    assert db.snapshot() == before
    assert not (tmp_path / "new.env").exists()
    assert audit_records(db)[-1]["command"] == "user create"  # nothing else recorded anywhere


@pytest.mark.parametrize("command", ["restore", "prune", "vacuum", "generate"])
def test_a_trail_that_fails_after_the_change_says_it_was_made(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trail breaks between the check and the record (the check is skipped here): the
    change is done and cannot be undone, so the error says it WAS made, and what to do."""
    db, argv = _changes(tmp_path)
    trail = _unwritable_trail(tmp_path)
    monkeypatch.setattr("lfadmin.core.audit.record.check_writable", lambda _loc: None)
    before = db.snapshot()
    res = db.run(*argv[command], LFADMIN_AUDIT_LOG=str(trail))
    assert res.exit_code == 5, res
    assert res.stderr.startswith(f"Error: cannot write the audit trail {trail} (LFADMIN_AUDIT_LOG"), res
    assert res.stderr.count("\n") == 1, res
    said = {
        "restore": f"the database WAS changed: it was replaced with the backup {tmp_path / 'b.db'}; ",
        "prune": "the database WAS changed: every batch deleted before the failure stays deleted",
        "vacuum": "the database WAS changed: the VACUUM ran (it changes no rows); rerunning it is harmless",
        "generate": "the key file WAS changed: the new key was written as asked; ",
    }[command]
    assert said in res.stderr, res
    if command == "generate":
        assert "LANGFLOW_SECRET_KEY=" in (tmp_path / "new.env").read_text()
    else:
        assert db.snapshot() != before
    if command == "restore":
        assert "dora" not in db.run("user", "list").stdout
