"""lfadmin as a library: core called directly, the way a script would, without the CLI.

``Target`` says where and who; each core command opens its own authenticated transaction. The
databases are the same Langflow-made fixtures the CLI tests use (SQLite and PostgreSQL).
"""

from __future__ import annotations

import uuid

import pytest

from lfadmin.core import api_keys, info, users
from lfadmin.core.actor import Credentials
from lfadmin.core.audit import read
from lfadmin.core.cascade import DeleteStep
from lfadmin.core.target import Target
from lfadmin.core.user_rows import UserRecord
from lfadmin.errors import AuthFailed, ExitCode, NotFound, Refused
from tests.support.databases import LangflowDB


@pytest.fixture
def target(lfdb: LangflowDB, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The fixture's database, as ``admin`` presenting its Langflow API key, AUTO_LOGIN off."""
    for name, value in lfdb.env.items():  # config dir, secret key, database URL
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANGFLOW_AUTO_LOGIN", "False")
    return Target(creds=Credentials(api_key=lfdb.api_key("admin")))


def test_list_users_as_langflow_made_them(target: Target, lfdb: LangflowDB) -> None:
    got = {u.username: (u.is_active, u.is_superuser, str(u.id)) for u in users.list_users(target)}
    assert got == {u["username"]: (u["is_active"], u["is_superuser"], u["id"]) for u in lfdb.manifest["users"]}
    assert [u.username for u in users.list_users(target, active=False)] == ["bob"]
    assert sorted(u.username for u in users.list_users(target, superuser=True)) == ["admin", "root2"]


def test_create_promote_delete(target: Target, lfdb: LangflowDB) -> None:
    warnings: list[str] = []
    commits: list[None] = []
    target.warn, target.on_commit = warnings.append, lambda: commits.append(None)

    made = users.create(target, "dora", "A-long-enough-pass-1", active=True)
    assert (made.user.username, made.user.is_active, made.user.is_superuser, made.changed) == ("dora", True, False, True)
    assert made.granted is None
    user, owned = users.show(target, "dora")
    assert user == made.user and {k: v for k, v in owned.items() if v} == {"projects": 1}
    assert list(owned)[:4] == ["api_keys", "variables", "flows", "projects"]

    promoted = users.promote(target, "dora")
    assert promoted.changed and promoted.user.is_superuser
    assert promoted.granted is not None and promoted.granted.event == "superuser.promote"
    assert promoted.granted.actor is not None and promoted.granted.actor.describe() == "admin (api-key)"
    record = read(promoted.granted.audit.path)[-1]
    assert (record["event"], record["username"], record["actor"]) == ("superuser.promote", "dora", "admin")
    assert users.promote(target, "dora").changed is False  # already one: nothing written

    user, steps = users.delete(target, "dora")
    assert user.id == made.user.id
    assert {(st.table, st.action) for st in steps} >= {("folder", "delete"), ("user", "delete")}
    assert [r[0] for r in lfdb.query('SELECT COUNT(*) FROM "user" WHERE username = :u', u="dora")] == [0]
    assert len(commits) == 4  # one per write: create, promote, promote again, delete
    assert warnings == []


def test_delete_asks_inside_its_transaction(target: Target, lfdb: LangflowDB) -> None:
    """``confirm`` sees the exact plan; raising calls the deletion off and changes nothing."""
    before = lfdb.snapshot()
    shown: list[tuple[str, int]] = []

    def refuse(user: UserRecord, steps: list[DeleteStep]) -> None:
        shown.extend((st.table, st.rows) for st in steps if st.table == "user")
        raise Refused("nothing deleted")

    with pytest.raises(Refused):
        users.delete(target, "alice", confirm=refuse)
    assert shown == [("user", 1)]
    assert lfdb.snapshot() == before


def test_refusals_carry_their_exit_code(target: Target, lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    with pytest.raises(Refused) as exc:
        users.delete(target, "admin")  # the invoking superuser itself
    assert str(exc.value) == "refusing to delete 'admin': that is you, the invoking superuser"
    assert exc.value.exit_code == ExitCode.REFUSED
    with pytest.raises(NotFound) as missing:
        users.show(target, "Alice")
    assert missing.value.hint == "did you mean 'alice'? usernames are case-sensitive"
    assert lfdb.snapshot() == before


def test_a_wrong_key_authenticates_nobody(target: Target) -> None:
    target.creds = Credentials(api_key="sk-" + uuid.uuid4().hex)
    with pytest.raises(AuthFailed) as exc:
        users.list_users(target)
    assert exc.value.exit_code == ExitCode.AUTH_FAILED


def test_api_key_made_and_revoked_through_core(target: Target) -> None:
    shown: list[str] = []
    made = api_keys.create(target, name="script", show=lambda k: shown.append(k.key))
    assert shown == [made.key] and made.record.owner == "admin"
    assert made.record.id in {k.id for k in api_keys.listing(target).keys}
    assert api_keys.revoke(target, "script").id == made.record.id
    assert made.record.id not in {k.id for k in api_keys.listing(target).keys}


def test_info_needs_no_superuser(target: Target, lfdb: LangflowDB) -> None:
    target.creds = Credentials(api_key="not a key")  # info never authenticates
    data = info.gather(target)
    assert data["counts"]["users"] == len(lfdb.manifest["users"])
    assert data["backend"] == lfdb.backend
