"""Core as a library: a ``lfadmin.core.target.Target`` on a fresh copy of a database real Langflow
made, as a program embedding lfadmin would build it (no CLI, no ``run``).

The server's settings go to an env file (``target.env_file``), not to ``os.environ``: the core
call sees exactly what the Target says. The invoker authenticates as the CLI's stdin options
would: ``admin`` with its Langflow API key (a hash lookup, no bcrypt), anyone else with their
password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lfadmin.core.auth import Credentials
from lfadmin.core.target import Target
from tests.support.databases import LangflowDB


def make_target(db: LangflowDB, tmp_path: Path, *, user: str | None = "admin", **target: Any) -> Target:
    """A ``Target`` on ``db`` with AUTO_LOGIN off, acting as ``user`` (None: no credentials);
    ``target``: any other ``Target`` field (``warn``, ``note``, ``on_commit``, ...)."""
    env_file = tmp_path / "langflow-server.env"
    settings = {**db.env, "LANGFLOW_AUTO_LOGIN": "False"}
    env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    env_file.chmod(0o600)
    creds = None
    if user == "admin":
        creds = Credentials(api_key=db.api_key("admin"))
    elif user is not None:
        creds = Credentials(username=user, password=db.password(user))
    return Target(env_file=env_file, creds=creds, **target)
