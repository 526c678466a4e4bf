"""PostgreSQL backups with PostgreSQL's own tools: ``pg_dump -Fc`` and ``pg_restore``.

Why the real tools: they know every object type, ownership and dependency order of the server
they talk to, and their custom format is what every PostgreSQL operator already restores. Why
this module is careful:

* The password reaches the tool through the environment (``PGPASSWORD``), never argv (visible
  to every user in ``ps``); ``--no-password`` makes a wrong or missing one an error, not a prompt.
  Every other part of the URL goes through libpq's own variables (``PGHOST``, ``PGSSLMODE`` ...).
* The tool writes to (reads from) a descriptor lfadmin opened, never a path of its own choosing.
* Its exit status is checked, and what it printed on stderr passes through ``lfadmin.redact``
  before one line of it is shown.
* ``pg_restore --clean --if-exists --single-transaction --exit-on-error``: the database is
  replaced in one transaction, or not at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lfadmin import redact
from lfadmin.db import DatabaseURL
from lfadmin.errors import DatabaseUnavailable, InvalidInput

PACKAGE_HINT = "install the PostgreSQL client tools (Debian/Ubuntu: postgresql-client; RHEL/Fedora: postgresql)"

# URL query parameters and the libpq environment variable each becomes.
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidInput(f"{name} is not installed (not on PATH); lfadmin backs up PostgreSQL with it",
                           hint=PACKAGE_HINT)
    return found


def version(exe: str) -> str:
    """``pg_dump (PostgreSQL) 15.18`` -> ``15.18``."""
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)  # noqa: S603 - found on PATH
    return proc.stdout.strip().rsplit(" ", 1)[-1] if proc.returncode == 0 else "?"


def identity(url: DatabaseURL) -> str:
    """Which database a URL names (not who connects): host, port and database name."""
    u = url.url
    host = u.host or str(u.query.get("host") or "localhost")
    return f"postgresql://{host}:{u.port or u.query.get('port') or 5432}/{u.database or ''}"


def database_name(url: DatabaseURL) -> str:
    return url.url.database or url.url.username or "postgres"


def environment(url: DatabaseURL) -> dict[str, str]:
    """The tool's environment: lfadmin's own (libpq reads ``PG*`` there, as lfadmin's driver
    does) without Langflow's settings, plus the URL's parts as libpq variables (the password
    among them: never in argv)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("LANGFLOW_")}
    u = url.url
    for key, value in u.query.items():
        var = _LIBPQ_ENV.get(key)
        if var is None:
            raise InvalidInput(f"the database URL's parameter {key!r} cannot be passed to pg_dump/pg_restore")
        env[var] = value if isinstance(value, str) else value[-1]
    if u.host:
        env["PGHOST"] = u.host
    if u.port:
        env["PGPORT"] = str(u.port)
    if u.username:
        env["PGUSER"] = u.username
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    env["PGDATABASE"] = database_name(url)
    return env


def _conninfo_db(name: str) -> str:
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run(argv: list[str], url: DatabaseURL, *, stdin: int | None = None, stdout: int | None = None) -> bytes:
    proc = subprocess.run(  # noqa: S603 - argv is the tool found on PATH and fixed options, no secret
        argv,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(url),
        check=False,
    )
    if proc.returncode != 0:
        name = Path(argv[0]).name
        lines = [ln.strip() for ln in redact.scrub(proc.stderr.decode(errors="replace")).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error:" in ln] or lines or ["(no message)"]
        raise DatabaseUnavailable(f"{name} failed (exit {proc.returncode}): {errors[0][:300]}; nothing was changed")
    return proc.stdout or b""


def dump(url: DatabaseURL, out_fd: int, snapshot: str) -> str:
    """``pg_dump -Fc`` of the URL's database, as of the exported ``snapshot``, into ``out_fd``;
    returns the method for the manifest."""
    exe = tool("pg_dump")
    _run([exe, "--format=custom", "--no-password", f"--snapshot={snapshot}"], url, stdout=out_fd)
    return f"pg_dump -Fc ({version(exe)})"


def tables(url: DatabaseURL, in_fd: int) -> set[str]:
    """The tables the archive on ``in_fd`` holds (``pg_restore --list``: its table of contents,
    lines like ``215; 1259 16390 TABLE public apikey postgres``)."""
    toc = _run([tool("pg_restore"), "--list", "--no-password"], url, stdin=in_fd).decode(errors="replace")
    return {p[5] for p in (line.split() for line in toc.splitlines()) if len(p) > 5 and p[3] == "TABLE"}


def restore(url: DatabaseURL, in_fd: int) -> None:
    """The archive on ``in_fd`` into the URL's database, replacing what it holds, in one transaction."""
    exe = tool("pg_restore")
    _run(
        [exe, "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-password",
         f"--dbname={_conninfo_db(database_name(url))}"],
        url,
        stdin=in_fd,
    )
