"""`lfadmin user` on databases made by real Langflow 1.6.9 and 1.13.0, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid

import bcrypt
import pytest

from lfadmin.langflow.crypto import hash_password, verify_password
from tests.support.bcrypt_memo import real_bcrypt
from tests.support.databases import LangflowDB
from tests.support.rows import audit_records, user_row, usernames

UNCHANGED = "database unchanged"


# -- list / show ---------------------------------------------------------------------------------


def test_list_json_matches_what_langflow_made(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", "--json")
    assert res.exit_code == 0, res
    got = {u["username"]: (u["is_active"], u["is_superuser"]) for u in res.json["users"]}
    want = {u["username"]: (u["is_active"], u["is_superuser"]) for u in lfdb.manifest["users"]}
    assert got == want
    assert res.stderr == ""


def test_list_filters(lfdb: LangflowDB) -> None:
    inactive = lfdb.run("users", "list", "--inactive", "--json").json["users"]
    assert [u["username"] for u in inactive] == ["bob"]
    supers = lfdb.run("user", "list", "--superusers", "--json").json["users"]
    assert sorted(u["username"] for u in supers) == ["admin", "root2"]


def test_list_table_for_people(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", TTY_COMPATIBLE="1", COLUMNS="80")  # stdout as a terminal
    assert res.exit_code == 0, res
    lines = res.stdout.splitlines()
    assert re.fullmatch(r"USERNAME +ACTIVE +SUPERUSER +CREATED +LAST LOGIN", lines[0])
    assert any(re.fullmatch(r"bob +no +no +\w+ ago +\w+ ago", ln) for ln in lines), lines
    assert res.stderr == f"{len(lfdb.manifest['users'])} users\n"


def test_show_counts_what_the_user_owns(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "show", "alice", "--json")
    assert res.exit_code == 0, res
    user = res.json["user"]
    alice = lfdb.user("alice")
    assert user["id"] == str(uuid.UUID(alice["id"]))
    owned_vars = [v for v in lfdb.manifest["variables"] if v["owner"] == "alice"]
    first = {"api_keys": 1, "variables": len(owned_vars), "flows": 1, "projects": 1}
    assert list(user["owns"].items())[:4] == list(first.items())  # then every other kind, none owned
    assert {k: v for k, v in user["owns"].items() if k not in first} == dict.fromkeys(list(user["owns"])[4:], 0)
    assert "files" in user["owns"] and (user["last_login_at"] is not None) == alice["logged_in"]


def test_unknown_user_suggests_case_twin(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "show", "Alice")
    assert (res.exit_code, res.stdout) == (8, "")
    assert res.stderr == "Error: no user 'Alice' (did you mean 'alice'? usernames are case-sensitive)\n"
    res = lfdb.run("user", "show", "nobody")
    assert res.stderr == "Error: no user 'nobody'\n"


# -- create -----------------------------------------------------------------------------------------


def test_create_writes_the_row_langflow_writes(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "create", "dave", "--password-stdin", "--json", input="Dave-pass-123")
    assert res.exit_code == 0, res
    assert res.json["user"]["username"] == "dave"
    assert res.json["user"]["is_active"] is False  # LANGFLOW_NEW_USER_IS_ACTIVE defaults to False
    row = user_row(lfdb, "dave")
    assert bcrypt.checkpw(b"Dave-pass-123", str(row["password"]).encode())
    assert str(row["password"]).startswith("$2b$12$")
    assert row["last_login_at"] is None
    if lfdb.backend == "sqlite":
        assert re.fullmatch(r"[0-9a-f]{32}", str(row["id"]))
        assert row["is_active"] == 0 and row["is_superuser"] == 0
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", str(row["create_at"]))
        assert row["optins"] == '{"github_starred": false, "dialog_dismissed": false, "discord_clicked": false}'
        types = lfdb.query(
            'SELECT typeof(id), typeof(is_active), typeof(create_at), typeof(optins) FROM "user" WHERE username = :u',
            u="dave",
        )
        assert types == [("text", "integer", "text", "text")]
    else:
        assert isinstance(row["id"], uuid.UUID) and row["is_active"] is False
        assert row["optins"] == {"github_starred": False, "dialog_dismissed": False, "discord_clicked": False}


def test_every_password_hash_gets_its_own_salt() -> None:
    # The suite memoises bcrypt (tests/support/bcrypt_memo.py); the real thing salts every hash.
    with real_bcrypt():
        first, second = hash_password("Same-pass-123"), hash_password("Same-pass-123")
        assert first != second and first[:7] == second[:7] == "$2b$12$"
        assert verify_password("Same-pass-123", first) and verify_password("Same-pass-123", second)
        assert not verify_password("Same-pass-124", first)


def test_create_makes_the_default_project_like_the_release(lfdb: LangflowDB) -> None:
    assert lfdb.run("user", "create", "dave", "--password-stdin", input="Dave-pass-123").exit_code == 0
    cols = "name, description, auth_settings" + (", is_personal" if lfdb.version == "1.13.0" else "")
    rows = lfdb.query(
        f'SELECT {cols} FROM folder WHERE user_id = (SELECT id FROM "user" WHERE username = :u)', u="dave"
    )
    assert len(rows) == 1
    name, description, auth_settings = rows[0][:3]
    assert name == "Starter Project"
    if lfdb.version == "1.6.9":
        assert description is None
    else:
        assert description == "Manage your own flows. Download and upload projects."
        assert rows[0][3] in (1, True)
    assert auth_settings in ("null", None)


def test_new_user_is_active_setting_and_override(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "create", "erin", "--password-stdin", "--json", input="x-Pass-1", LANGFLOW_NEW_USER_IS_ACTIVE="true")
    assert res.json["user"]["is_active"] is True
    res = lfdb.run("user", "create", "finn", "--inactive", "--password-stdin", "--json", input="x-Pass-1", LANGFLOW_NEW_USER_IS_ACTIVE="true")
    assert res.json["user"]["is_active"] is False


def test_create_human_output(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "create", "gus", "--superuser", "--active", "--password-stdin", input="Gus-pass-123\n")
    assert (res.exit_code, res.stdout) == (0, "")
    log = lfdb.config_dir / "lfadmin-audit.jsonl"
    assert res.stderr == f"AUDIT superuser.create 'gus' by admin (api-key) -> {log}\nCreated superuser 'gus', active\n"
    row = user_row(lfdb, "gus")
    assert bcrypt.checkpw(b"Gus-pass-123", str(row["password"]).encode())  # one trailing newline dropped
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (record["event"], record["username"], record["actor"], record["auth_method"]) == (
        "superuser.create",
        "gus",
        "admin",
        "api-key",
    )
    assert "Gus-pass-123" not in log.read_text()


@pytest.mark.parametrize("name", ["o'brien\"; DROP TABLE \"user\"; --", "Zoë 🚀 δοκιμή", "%_*?"])
def test_usernames_with_sql_metacharacters_and_unicode(lfdb: LangflowDB, name: str) -> None:
    res = lfdb.run("user", "create", name, "--active", "--password-stdin", "--json", input="Weird-pass-1")
    assert res.exit_code == 0, res
    assert lfdb.run("user", "show", name, "--json").json["user"]["username"] == name
    assert name in usernames(lfdb)
    assert lfdb.run("user", "deactivate", name).exit_code == 0


def test_duplicate_username_is_a_conflict(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "create", "alice", "--password-stdin", input="x-Pass-1")
    assert (res.exit_code, res.stdout, res.stderr) == (9, "", "Error: user 'alice' already exists\n")
    assert lfdb.snapshot() == before


def test_case_insensitive_twin_follows_the_release(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "create", "ALICE", "--password-stdin", input="x-Pass-1")
    if lfdb.version == "1.13.0":
        assert res.exit_code == 9
        assert res.stderr == (
            "Error: user 'ALICE' conflicts with existing 'alice': Langflow 1.13.0 treats usernames "
            "case-insensitively\n"
        )
        assert lfdb.snapshot() == before
    else:
        assert res.exit_code == 0, res
        assert res.stderr.startswith(
            "Warning: 'alice' already exists: Langflow 1.13 refuses to upgrade a database with "
            "usernames that differ only in case"
        )
        assert "ALICE" in usernames(lfdb)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("bad\x00pass", "Error: passwords cannot contain NUL bytes (Langflow refuses them)\n"),
        ("p" * 4097, "Error: password is 4097 characters; Langflow refuses more than 4096\n"),
    ],
)
def test_bad_passwords_change_nothing(lfdb: LangflowDB, password: str, message: str) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "create", "henry", "--password-stdin", input=password)
    assert (res.exit_code, res.stdout, res.stderr) == (4, "", message)
    res = lfdb.run("user", "set-password", "alice", "--password-stdin", input=password)
    assert (res.exit_code, res.stderr) == (4, message)
    assert lfdb.snapshot() == before


def test_long_password_is_truncated_like_langflow(lfdb: LangflowDB) -> None:
    pw = "L" * 100
    res = lfdb.run("user", "create", "ivy", "--password-stdin", input=pw)
    assert res.exit_code == 0, res
    assert res.stderr.startswith(
        "Warning: the password is longer than 72 bytes; like Langflow, only its first 72 bytes count\n"
    )
    assert bcrypt.checkpw(pw.encode()[:72], str(user_row(lfdb, "ivy")["password"]).encode())


def test_password_never_from_argv(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "create", "jack")
    assert res.exit_code == 4
    assert res.stderr == (
        "Error: no password given: pipe it to --password-stdin or name a variable with --password-env "
        "(passwords are never accepted as arguments)\n"
    )


def test_password_from_named_env_var(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "create", "kim", "--password-env", "KIM_PW", KIM_PW="Kim-pass-123")
    assert res.exit_code == 0, res
    assert bcrypt.checkpw(b"Kim-pass-123", str(user_row(lfdb, "kim")["password"]).encode())


# -- state changes -------------------------------------------------------------------------------------


def test_activate_deactivate_promote_demote(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "activate", "bob", "--json")
    assert res.json["changed"] is True and res.json["user"]["is_active"] is True
    res = lfdb.run("user", "activate", "bob")
    assert res.stderr == "'bob' was already active\n"
    log = lfdb.config_dir / "lfadmin-audit.jsonl"
    assert lfdb.run("user", "promote", "bob").stderr == (
        f"AUDIT superuser.promote 'bob' by admin (api-key) -> {log}\n'bob' is now a superuser\n"
    )
    # One record per change (the no-op activate too); the promotion's names its grant.
    assert [(r["command"], r["event"]) for r in audit_records(lfdb)] == [
        ("user activate", None), ("user activate", None), ("user promote", "superuser.promote"),
    ]
    assert user_row(lfdb, "bob")["is_superuser"] in (1, True)
    assert lfdb.run("user", "demote", "bob").stderr == "'bob' is now a regular user\n"
    assert lfdb.run("user", "deactivate", "carol").stderr == "'carol' is now inactive\n"
    assert user_row(lfdb, "carol")["is_active"] in (0, False)


def test_set_password(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "set-password", "alice", "--password-stdin", input="New-alice-pw-9")
    assert (res.exit_code, res.stderr) == (0, "Password changed for 'alice'\n")
    assert bcrypt.checkpw(b"New-alice-pw-9", str(user_row(lfdb, "alice")["password"]).encode())


def test_refuses_to_demote_or_deactivate_yourself(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "demote", "admin")
    assert (res.exit_code, res.stderr) == (
        10,
        "Error: refusing to demote 'admin': that is you, the invoking superuser\n",
    )
    res = lfdb.run("user", "deactivate", "admin")
    assert res.exit_code == 10
    assert lfdb.snapshot() == before


def test_refuses_to_remove_the_last_active_superuser(lfdb: LangflowDB) -> None:
    """Through the CLI the actor is always another active superuser, so this guard answers only a
    race (another process demoting meanwhile); core refuses it whoever calls."""
    from lfadmin.core import users
    from lfadmin.core.target import Target
    from lfadmin.errors import Refused

    assert lfdb.run("user", "demote", "root2").exit_code == 0
    with pytest.raises(Refused) as exc, Target(database_url=lfdb.url).session(write=True, authenticate=False) as s:
        users.set_superuser(s, "admin", False)
    assert str(exc.value) == (
        "refusing to demote 'admin': it is the last active superuser (promote or activate "
        "another superuser first)"
    )


def test_never_logged_in_langflow_superuser_is_refused_when_auto_login_off(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "create", "langflow", "--superuser", "--active", "--password-stdin", input="Some-pass-1")
    assert res.exit_code == 10
    assert res.stderr == (
        "Error: with LANGFLOW_AUTO_LOGIN=False (set in the environment) Langflow deletes a "
        "superuser named 'langflow' that never logged in at its next start (1.13 retires it if it "
        "owns data), so it would be lost (choose another username)\n"
    )
    assert lfdb.snapshot() == before


# -- delete --------------------------------------------------------------------------------------------


def references_to(db: LangflowDB, user_id: str) -> list[str]:
    """Every table.column (any column that can hold a user id) still holding ``user_id``."""
    from sqlalchemy import inspect

    hexid = uuid.UUID(user_id)
    value: object = hexid.hex if db.backend == "sqlite" else str(hexid)
    found = []
    with db.connection() as conn:
        insp = inspect(conn)
        for table in insp.get_table_names():
            if table == "data_subject_request":
                continue
            for col in insp.get_columns(table):
                type_name = str(col["type"]).upper()
                if "CHAR(32)" not in type_name and "UUID" not in type_name:
                    continue
                from sqlalchemy import text

                sql = f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{col["name"]}" AS VARCHAR) = :v'
                if conn.execute(text(sql), {"v": value}).scalar_one():
                    found.append(f"{table}.{col['name']}")
    return found


def test_delete_dry_run_changes_nothing(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "delete", "alice", "--dry-run", "--json")
    assert res.exit_code == 0, res
    steps = {(s["table"], s["action"]): s["rows"] for s in res.json["steps"]}
    assert steps[("user", "delete")] == 1
    assert steps[("apikey", "delete")] == 1
    assert steps[("flow", "delete")] == 1
    assert res.json["deleted"] is False
    assert lfdb.snapshot() == before


def test_delete_removes_everything_pointing_at_the_user(lfdb: LangflowDB) -> None:
    alice_id = lfdb.user("alice")["id"]
    assert references_to(lfdb, alice_id)  # the check can see alice before
    res = lfdb.run("user", "delete", "alice", "--yes")
    assert res.exit_code == 0, res
    assert res.stderr.endswith("Deleted 'alice'\n")
    assert references_to(lfdb, alice_id) == []
    assert "alice" not in usernames(lfdb)
    # other users' data is untouched
    assert lfdb.query("SELECT COUNT(*) FROM apikey")[0][0] == len(lfdb.manifest["api_keys"]) - 1


def test_delete_needs_confirmation_without_a_terminal(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = lfdb.run("user", "delete", "carol", "--json")
    assert res.exit_code == 10
    assert res.stderr == "Error: not deleting without confirmation (pass --yes)\n"
    assert lfdb.snapshot() == before


def test_delete_refuses_yourself(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "delete", "admin", "--yes")
    assert (res.exit_code, res.stderr) == (
        10,
        "Error: refusing to delete 'admin': that is you, the invoking superuser\n",
    )


# -- the invoking superuser ------------------------------------------------------------------------------


def test_password_of_the_configured_superuser(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", "--json", LANGFLOW_SUPERUSER_PASSWORD=lfdb.password("admin"))
    assert res.exit_code == 0, res


def test_wrong_password_is_refused(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", LANGFLOW_SUPERUSER_PASSWORD="wrong")
    assert res.exit_code == 7
    assert res.stderr == (
        "Error: LANGFLOW_AUTO_LOGIN=False (set in the environment); password for 'admin' "
        "from LANGFLOW_SUPERUSER_PASSWORD (environment): authentication as 'admin' failed: wrong password, "
        "or not an existing active superuser (lfadmin does not say which)\n"
    )


def test_inactive_superuser_is_refused(lfdb: LangflowDB) -> None:
    assert lfdb.run("user", "deactivate", "root2").exit_code == 0
    res = lfdb.run("user", "list", user="root2")
    assert res.exit_code == 7
    assert res.stderr.endswith(": authentication as 'root2' failed: wrong password, or not an existing "
                               "active superuser (lfadmin does not say which)\n")


def test_regular_user_is_not_a_superuser(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", user="alice")
    assert res.exit_code == 7
    assert res.stderr.endswith(": authentication as 'alice' failed: wrong password, or not an existing "
                               "active superuser (lfadmin does not say which)\n")


def test_password_from_stdin_with_as(lfdb: LangflowDB) -> None:
    res = lfdb.run(
        "user", "list", "--as", "root2", "--auth-password-stdin", "--json",
        input=lfdb.password("root2"), user=None, LANGFLOW_AUTO_LOGIN="false",
    )
    assert res.exit_code == 0, res


def test_api_key_of_a_superuser_authenticates(lfdb: LangflowDB) -> None:
    res = lfdb.run(
        "user", "list", "--api-key-stdin", "--json", input=lfdb.api_key("admin"), user=None, LANGFLOW_AUTO_LOGIN="false"
    )
    assert res.exit_code == 0, res


def test_unknown_api_key_is_refused(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", "--api-key-stdin", input="sk-" + "x" * 43, user=None, LANGFLOW_AUTO_LOGIN="false")
    assert res.exit_code == 7
    assert res.stderr == (
        "Error: LANGFLOW_AUTO_LOGIN=False (set in the environment); API key from --api-key-stdin: the API key "
        "does not authenticate an active superuser of Langflow "
        f"{'1.6.0 – 1.6.9' if lfdb.version == '1.6.9' else '1.13.0'} (unknown, revoked or expired, or its "
        "owner is inactive or not a superuser; lfadmin does not say which)\n"
    )


def test_api_key_of_a_regular_user_does_not(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "list", "--api-key-stdin", input=lfdb.api_key("alice"), user=None, LANGFLOW_AUTO_LOGIN="false")
    assert res.exit_code == 7
    assert res.stderr.endswith(
        "the API key does not authenticate an active superuser of Langflow "
        f"{'1.6.0 – 1.6.9' if lfdb.version == '1.6.9' else '1.13.0'} (unknown, revoked or expired, or its "
        "owner is inactive or not a superuser; lfadmin does not say which)\n"
    )


def test_auto_login_acts_without_credentials(lfdb: LangflowDB) -> None:
    # The account Langflow's startup creates under AUTO_LOGIN ('langflow'): root2 plays it.
    lfdb.execute("UPDATE \"user\" SET username = 'langflow' WHERE username = 'root2'")
    res = lfdb.run("user", "list", "--json", user=None, LANGFLOW_AUTO_LOGIN="true")
    assert res.exit_code == 0, res
    assert res.stderr.startswith("note: LANGFLOW_AUTO_LOGIN=True (set in the environment): acting as superuser")


def test_default_auto_login_follows_the_release(lfdb: LangflowDB) -> None:
    lfdb.execute("UPDATE \"user\" SET username = 'langflow' WHERE username = 'root2'")
    res = lfdb.run("user", "list", "--json", user=None)
    if lfdb.version == "1.6.9":
        assert res.exit_code == 0
        assert res.stderr == (
            "note: LANGFLOW_AUTO_LOGIN=True (the default of Langflow 1.6.0 – 1.6.9): acting as "
            "superuser 'langflow' without credentials\n"
        )
    else:
        assert res.exit_code == 7
        assert res.stderr.startswith("Error: LANGFLOW_AUTO_LOGIN=False (the default of Langflow 1.13.0): a superuser must authenticate")


def test_json_output_is_plain_json(lfdb: LangflowDB) -> None:
    res = lfdb.run("user", "show", "carol", "--json")
    assert json.loads(res.stdout)["user"]["username"] == "carol"
    assert "\x1b[" not in res.stdout
