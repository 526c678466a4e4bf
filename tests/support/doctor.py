"""Running ``lfadmin config doctor`` as the doctor tests do, and picking its findings.

``doctor`` checks settings alone (an env file, ``--no-database``); ``doctor_db`` a database real
Langflow made, with the server's settings. ``BASE`` is the seed page's "authentication enabled"
.env with real values filled in; a case adds its lines after it, from line ``NEXT`` on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import ROOT
from tests.support.cli import Result, run
from tests.support.databases import LangflowDB

KEY = "0Yrsve58l0Aw_aDs0xGJy8qySwRCYUpk7rQ4EqRhvTo"  # token_urlsafe(32): a valid Fernet key
STRONG = "Vq3-xT9!mR2#pL7@wZ5"

# The seed's "Start a Langflow server with authentication enabled" .env, values filled in.
BASE = f"""LANGFLOW_AUTO_LOGIN=False
LANGFLOW_SUPERUSER=administrator
LANGFLOW_SUPERUSER_PASSWORD={STRONG}
LANGFLOW_SECRET_KEY={KEY}
LANGFLOW_NEW_USER_IS_ACTIVE=False
LANGFLOW_ENABLE_SUPERUSER_CLI=False
"""
NEXT = len(BASE.splitlines()) + 1  # the line number of the first line a case adds

SARIF_SCHEMA = ROOT / "tests" / "data" / "doctor" / "sarif-schema-2.1.0.json"


def doctor(tmp_path: Path, text: str, *args: str, version: str = "1.13.0", mode: int = 0o600) -> Result:
    """The doctor on an env file holding ``text`` (mode ``mode``), the database part off."""
    env = tmp_path / ".env"
    env.write_text(text)
    env.chmod(mode)
    return run(
        "config", "doctor", "--env-file", str(env), "--format", "json", "--no-database",
        "--langflow-version", version, *args,
    )


def doctor_db(db: LangflowDB, *args: str, **env: str) -> Result:
    """The doctor with the server's settings: AUTO_LOGIN off, superuser admin and its password."""
    env = {"LANGFLOW_SUPERUSER_PASSWORD": db.password("admin"), **env}
    return db.run("config", "doctor", "--format", "json", "--database-url", db.url, *args, **env)


def found(res: Result, check_id: str) -> list[dict[str, Any]]:
    """The findings of one check in a JSON report."""
    return [f for f in res.json["findings"] if f["id"] == check_id]


def sarif_errors(doc: Any) -> list[str]:
    """Where a SARIF document breaks the vendored SARIF 2.1.0 schema (none: valid)."""
    import jsonschema

    validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
