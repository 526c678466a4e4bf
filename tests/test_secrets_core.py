"""The secret wing as a library: each ``secrets`` command's one core call, made without the CLI.

Every call takes a ``Target`` and opens its own transaction with the invoker authenticated, so a
script (or ``bench/bench_rotate.py``) goes through the same door as ``lfadmin secrets``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lfadmin.core.actor import Credentials
from lfadmin.core.secrets import flow_scan, inventory, key, rotation, variables
from lfadmin.core.target import Target
from lfadmin.errors import AuthFailed, InvalidInput, Refused
from lfadmin.langflow.crypto import fingerprint
from tests.support.databases import LangflowDB

NEW = "Zb3n7Yx0Q2m9cVh8rT1uW4sK6pL5dN0aE3fG7hJ2kM8="


def _target(db: LangflowDB, monkeypatch: pytest.MonkeyPatch, *, creds: Credentials | None = None) -> Target:
    for name, value in {**db.env, "LANGFLOW_AUTO_LOGIN": "False"}.items():
        monkeypatch.setenv(name, value)
    return Target(creds=creds if creds is not None else Credentials(api_key=db.api_key("admin")))


def test_generate_installs_the_key_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGFLOW_CONFIG_DIR", str(tmp_path / "cfg"))
    env = tmp_path / ".env"
    new = key.generate(Target(), write_env=env, write_config_dir=True, force=False)
    assert key.key_problems(new.key) == []
    assert [f["path"] for f in new.files] == [str(env), str(tmp_path / "cfg" / "secret_key")]
    assert env.read_text() == f"LANGFLOW_SECRET_KEY={new.key}\n"
    assert (tmp_path / "cfg" / "secret_key").read_text() == new.key
    assert new.to_json() == {"fingerprint": fingerprint(new.key), "files": new.files}
    with pytest.raises(Refused):
        key.generate(Target(), write_env=None, write_config_dir=True, force=False)
    assert key.generate(Target(), write_env=None, write_config_dir=False, force=False).files == []


def test_variables_as_a_library(db113: LangflowDB, monkeypatch: pytest.MonkeyPatch) -> None:
    t = _target(db113, monkeypatch)
    res = variables.set_variable(t, "LIB_VAR", "alice", "lib-value-1", vtype="GENERIC")
    assert res.created and res.info.type == "Generic"
    assert variables.show_variable(t, "LIB_VAR", "alice").fingerprint == res.info.fingerprint
    revealed = variables.reveal_variable(t, "LIB_VAR", "alice")
    assert revealed.value == "lib-value-1"
    assert revealed.warnings[-1] == (
        f"audit: admin (api-key) revealed variable 'LIB_VAR' of user 'alice'; recorded in {revealed.trail}"
    )
    assert "LIB_VAR" in revealed.trail.read_text()
    assert "LIB_VAR" in [v.name for v in variables.list_variables(t, username="alice", vtype="generic")]
    with pytest.raises(InvalidInput, match="--type must be credential or generic"):
        variables.list_variables(t, vtype="secret")
    assert variables.delete_variable(t, "LIB_VAR", "alice").name == "LIB_VAR"
    assert flow_scan.scan(t, "alice").strip is False


def test_rotation_as_a_library(db113: LangflowDB, monkeypatch: pytest.MonkeyPatch) -> None:
    t = _target(db113, monkeypatch)
    receipt = rotation.rotate(t, rotation.RotationRequest(new_key=NEW, force=True))
    assert receipt.new_key == NEW and NEW not in str(receipt.to_json()) and NEW not in repr(receipt)
    assert receipt.changed > 0 and receipt.journal is not None  # no key file asked for: kept there
    rotation.drop_journal(Path(receipt.journal))
    monkeypatch.setenv("LANGFLOW_SECRET_KEY", NEW)
    report = inventory.check(Target(creds=Credentials(api_key=db113.api_key("admin"))))
    assert report.error() is None and report.key.fingerprint == fingerprint(NEW)


def test_rotation_authenticates_the_invoker(db113: LangflowDB, monkeypatch: pytest.MonkeyPatch) -> None:
    t = _target(db113, monkeypatch, creds=Credentials(api_key="sk-not-a-key-of-this-database"))
    with pytest.raises(AuthFailed):
        rotation.rotate(t, rotation.RotationRequest(new_key=NEW, force=True, dry_run=True))
