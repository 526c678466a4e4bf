"""Core called as a library, through the ``target`` fixture: the one way into core (a ``Target``,
one session a call) works on every fixture database without the CLI."""

from __future__ import annotations

from pathlib import Path

from lfadmin.core import users
from lfadmin.core.target import Target
from tests.support.core import make_target
from tests.support.databases import LangflowDB


def test_a_read_authenticates_the_invoker(target: Target) -> None:
    with target.session(write=False) as s:
        assert s.actor is not None
        assert (s.actor.username, s.actor.method) == ("admin", "api-key")
        alice = users.find_user(s, "alice")
    assert alice is not None and alice.username == "alice"


def test_a_write_commits_and_says_so(lfdb: LangflowDB, tmp_path: Path) -> None:
    commits: list[str] = []
    target = make_target(lfdb, tmp_path, on_commit=lambda: commits.append("committed"))
    with target.session(write=True) as s:
        _, changed = users.set_active(s, "alice", False)
    assert changed and commits == ["committed"]
    assert lfdb.query('SELECT is_active FROM "user" WHERE username = :u', u="alice") in ([(False,)], [(0,)])
