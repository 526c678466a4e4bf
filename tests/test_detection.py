"""`lfadmin info`: which Langflow made the database, read from databases each release made."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import FIXTURES
from tests.support.cli import run
from tests.support.databases import LangflowDB, manifest

EXPECTED = {
    "langflow-1.6.9": ("1.6.0 – 1.6.9", True, False, False, False),
    "langflow-1.6.9-shortkey": ("1.6.0 – 1.6.9", True, False, False, False),
    "langflow-1.8.4": ("1.8.0 – 1.8.4", True, False, False, False),
    "langflow-1.10.3": ("1.10.3", True, True, True, False),
    "langflow-1.13.0": ("1.13.0", False, True, True, True),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_info_detects_the_release(name: str, tmp_path: Path) -> None:
    db = tmp_path / "langflow.db"
    shutil.copyfile(FIXTURES / f"{name}.db", db)
    man = manifest(name.removeprefix("langflow-"))
    res = run("info", "--json", env={"LANGFLOW_DATABASE_URL": f"sqlite:///{db}", "LANGFLOW_CONFIG_DIR": str(tmp_path)})
    assert res.exit_code == 0, res
    info = res.json
    release, auto_login, hashed, expiry, ci_names = EXPECTED[name]
    assert info["alembic_revision"] == man["alembic_revision"]
    assert info["langflow_release"] == release
    assert info["auto_login"] == {
        "value": auto_login,
        "source": f"the default of Langflow {release}",
        "acts_as": "langflow" if auto_login else None,
    }
    caps = info["capabilities"]
    assert caps["api_keys_encrypted"] is not name.startswith("langflow-1.6.9")  # 1.8+: Fernet tokens
    assert (caps["api_keys_encrypted_and_hashed"], caps["api_key_expiry"], caps["usernames_case_insensitive"]) == (
        hashed,
        expiry,
        ci_names,
    )
    assert info["counts"]["users"] == len(man["users"])
    assert info["counts"]["api_keys"] == len(man["api_keys"])
    assert info["database_url"] == f"sqlite:///{db}"
    assert info["secret_key_source"] is None  # nothing in the config dir, no env key
    assert res.stderr == ""


def test_info_names_the_key_source_never_the_key(lfdb: LangflowDB) -> None:
    res = lfdb.run("info", "--json", user=None)
    assert res.exit_code == 0, res
    assert res.json["secret_key_source"] == "LANGFLOW_SECRET_KEY (environment)"
    assert lfdb.secret_key not in res.stdout + res.stderr
    if lfdb.backend == "postgresql":
        assert ":***@" in res.json["database_url"] and "postgres:postgres@" not in res.stdout


def test_info_table_for_people(sqlite_db: LangflowDB) -> None:
    res = sqlite_db.run("info", user=None)
    assert res.exit_code == 0, res
    assert "Langflow release" in res.stdout and "alembic revision" in res.stdout


def test_langflow_version_pins_the_release(sqlite_db: LangflowDB) -> None:
    pin = "1.6.3" if sqlite_db.version == "1.6.9" else "1.13.0"
    res = sqlite_db.run("info", "--json", "--langflow-version", pin, user=None)
    assert res.exit_code == 0, res
    assert res.json["langflow_release"] == pin and res.json["release_pinned"] is True
    res = sqlite_db.run("info", "--langflow-version", "2.0", user=None)
    assert (res.exit_code, res.stderr) == (4, "Error: --langflow-version 2.0: lfadmin supports Langflow 1.6.0 to 1.13.0\n")
