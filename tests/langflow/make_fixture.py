"""Build a Langflow database fixture with Langflow's own code, and describe it in a manifest.

Run with the python of a Langflow venv (see scripts/langflow-venv.sh)::

    <venv>/bin/python tests/langflow/make_fixture.py \
        --db-url sqlite:////tmp/x/langflow.db --config-dir /tmp/x/cfg \
        --secret-key KEY --manifest /tmp/x/langflow.json [--force] [--vacuum]

How the database is made (nothing here writes rows with its own SQL):

1. Startup: Langflow's FastAPI app is created with ``create_app()``, but its lifespan is replaced
   by one that runs only ``initialize_services()`` -- the documented DB bootstrap (create tables,
   ``alembic upgrade head``, ``alembic check``, superuser bootstrap) -- so no starter projects,
   component index, telemetry or background workers run.
2. Population: real HTTP requests through that app (``fastapi.testclient.TestClient``), i.e. the
   same routes, dependencies, validation and crud/service calls as a live server:
   ``POST /api/v1/login`` (sets ``last_login_at``, creates per-user variables / default folder),
   ``POST/PATCH /api/v1/users/``, ``POST /api/v1/api_key/``, ``POST /api/v1/variables/``,
   ``POST /api/v1/flows/``. The HTTP surface is the same in 1.6.9, 1.10.3 and 1.13.0 while the
   Python signatures behind it differ per release, which is why HTTP is used.
3. SQLite only: ``PRAGMA wal_checkpoint(TRUNCATE)`` so the single ``.db`` file is complete
   (journal_mode stays WAL, as Langflow set it); optionally ``VACUUM``.
4. Manifest: every user/API key/variable/flow with its plaintext, plus alembic revision, the
   Langflow version, the config-dir files and per-table row counts.

Population (all passwords are in the manifest):
    admin   superuser from the startup bootstrap (LANGFLOW_SUPERUSER), logged in
    root2   second superuser, active, never logged in
    alice   active user, logged in; API key ``alice-key``; variables OPENAI_API_KEY (Credential)
            and MY_GEN (Generic); owns a flow with a literal secret and a DB-bound field
    bob     logged in once, then deactivated by admin  (login -> "Inactive user")
    carol   active, never logged in
    admin also gets API key ``admin-key`` and Credential variable ADMIN_CRED.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ADMIN_PASSWORD = "Admin-pass-123"
USERS = {
    # username: (password, superuser, active at the end, logs in)
    "root2": ("Root2-pass-123", True, True, False),
    "alice": ("Alice-pass-123", False, True, True),
    "bob": ("Bob-pass-123", False, False, True),
    "carol": ("Carol-pass-123", False, True, False),
}
ALICE_VARIABLES = [
    ("OPENAI_API_KEY", "sk-alice-secret-value", "Credential"),
    ("MY_GEN", "generic-value-1", "Generic"),
]
ADMIN_VARIABLES = [("ADMIN_CRED", "admin-credential-value", "Credential")]
FLOW_NAME = "Alice Secret Flow"
EMBEDDED_SECRET = "sk-embedded-literal-123"

# A realistic (trimmed) OpenAI model node as the UI saves it. Secrets live at
# data.nodes[*].data.node.template.<field>.value (docs/langflow/flows.md §1).
NODE_ID = "OpenAIModel-Xy7Qa"
FLOW_DATA = {
    "nodes": [
        {
            "id": NODE_ID,
            "type": "genericNode",
            "position": {"x": 120.0, "y": 240.0},
            "measured": {"width": 320, "height": 560},
            "selected": False,
            "data": {
                "id": NODE_ID,
                "type": "OpenAIModel",
                "showNode": True,
                "node": {
                    "display_name": "OpenAI",
                    "description": "Generates text using OpenAI LLMs.",
                    "icon": "OpenAI",
                    "base_classes": ["LanguageModel", "Message"],
                    "beta": False,
                    "edited": False,
                    "field_order": ["input_value", "model_name", "openai_api_key", "api_key", "temperature"],
                    "frozen": False,
                    "legacy": False,
                    "outputs": [
                        {
                            "types": ["Message"],
                            "selected": "Message",
                            "name": "text_output",
                            "display_name": "Message",
                            "method": "text_response",
                            "cache": True,
                        }
                    ],
                    "template": {
                        "_type": "Component",
                        "code": {
                            "type": "code",
                            "required": True,
                            "show": True,
                            "advanced": True,
                            "multiline": True,
                            "name": "code",
                            "value": "# component code omitted in this fixture\n",
                            "password": False,
                            "load_from_db": False,
                        },
                        "input_value": {
                            "_input_type": "MessageInput",
                            "type": "str",
                            "name": "input_value",
                            "display_name": "Input",
                            "value": "",
                            "input_types": ["Message"],
                            "required": False,
                            "show": True,
                            "advanced": False,
                            "password": False,
                            "load_from_db": False,
                        },
                        "model_name": {
                            "_input_type": "DropdownInput",
                            "type": "str",
                            "name": "model_name",
                            "display_name": "Model Name",
                            "options": ["gpt-4o-mini", "gpt-4o"],
                            "value": "gpt-4o-mini",
                            "required": False,
                            "show": True,
                            "advanced": False,
                            "password": False,
                            "load_from_db": False,
                        },
                        # A literal secret typed into a password field.
                        "openai_api_key": {
                            "_input_type": "SecretStrInput",
                            "type": "str",
                            "name": "openai_api_key",
                            "display_name": "OpenAI API Key",
                            "value": EMBEDDED_SECRET,
                            "input_types": [],
                            "required": True,
                            "show": True,
                            "advanced": False,
                            "password": True,
                            "load_from_db": False,
                        },
                        # A field bound to the global variable OPENAI_API_KEY (value = variable name).
                        "api_key": {
                            "_input_type": "SecretStrInput",
                            "type": "str",
                            "name": "api_key",
                            "display_name": "API Key",
                            "value": "OPENAI_API_KEY",
                            "input_types": [],
                            "required": False,
                            "show": True,
                            "advanced": False,
                            "password": True,
                            "load_from_db": True,
                        },
                        "temperature": {
                            "_input_type": "SliderInput",
                            "type": "slider",
                            "name": "temperature",
                            "display_name": "Temperature",
                            "value": 0.1,
                            "required": False,
                            "show": True,
                            "advanced": False,
                            "password": False,
                            "load_from_db": False,
                        },
                    },
                },
            },
        }
    ],
    "edges": [],
    "viewport": {"x": 0.0, "y": 0.0, "zoom": 1.0},
}
SECRET_FIELD_PATH = ["nodes", 0, "data", "node", "template", "openai_api_key", "value"]
BOUND_FIELD_PATH = ["nodes", 0, "data", "node", "template", "api_key"]


def log(msg: str) -> None:
    print(f"[make_fixture {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def langflow_version() -> tuple[str, str]:
    """(Langflow release, langflow-base version): base 0.X.Y is Langflow 1.X.Y below 1.12."""
    base = importlib.metadata.version("langflow-base")
    major, minor, patch = base.split(".")[:3]
    release = f"1.{minor}.{patch}" if major == "0" else base
    return release, base


# --------------------------------------------------------------------------- database prep


def sqlite_path(db_url: str) -> Path | None:
    if not db_url.startswith("sqlite"):
        return None
    return Path(db_url.split(":///", 1)[1])


def pg_admin_url(db_url: str) -> tuple[str, str]:
    """(psycopg conninfo for the maintenance DB `postgres`, target database name)."""
    parts = urlsplit(db_url.replace("postgresql+psycopg://", "postgresql://"))
    dbname = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    return admin, dbname


def prepare_database(db_url: str, *, force: bool) -> None:
    """Make sure the target is empty: refuse an existing DB unless --force (then recreate it)."""
    path = sqlite_path(db_url)
    if path is not None:
        leftovers = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        if leftovers and not force:
            sys.exit(f"{path} already exists (use --force to replace it)")
        for p in leftovers:
            p.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        return

    import psycopg  # from the venv: psycopg[binary]

    admin, dbname = pg_admin_url(db_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists and not force:
            with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as target:
                tables = target.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                ).fetchone()[0]
            if tables:
                sys.exit(f"database {dbname} already has {tables} tables (use --force to recreate it)")
            return
        if exists:
            conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def set_environment(args: argparse.Namespace, workdir: Path) -> None:
    """Environment for Langflow's settings; must happen before importing langflow."""
    env = {
        "LANGFLOW_DATABASE_URL": args.db_url,
        "LANGFLOW_CONFIG_DIR": str(args.config_dir),
        "LANGFLOW_SECRET_KEY": args.secret_key,
        "LANGFLOW_AUTO_LOGIN": "False",
        "LANGFLOW_SUPERUSER": "admin",
        "LANGFLOW_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "LANGFLOW_ALEMBIC_LOG_FILE": str(workdir / "alembic.log"),
        "LANGFLOW_CREATE_STARTER_PROJECTS": "false",
        "LANGFLOW_UPDATE_STARTER_PROJECTS": "false",
        "LANGFLOW_MCP_COMPOSER_ENABLED": "false",
        # Do not import the builder's environment (OPENAI_API_KEY, ...) as user variables:
        # the fixture must not depend on, or leak, the machine's environment.
        "LANGFLOW_STORE_ENVIRONMENT_VARIABLES": "false",
        "LANGFLOW_LOG_LEVEL": os.environ.get("LANGFLOW_LOG_LEVEL", "error"),
        "DO_NOT_TRACK": "true",
    }
    os.environ.update(env)
    Path(args.config_dir).mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- Langflow app


def build_app():
    """Langflow's real FastAPI app whose lifespan runs only initialize_services()."""
    from langflow.main import create_app
    from langflow.services.utils import initialize_services

    app = create_app()

    @contextlib.asynccontextmanager
    async def startup_only(_app):
        t0 = time.monotonic()
        await initialize_services()
        log(f"initialize_services() done in {time.monotonic() - t0:.1f}s")
        yield
        # Dispose the engine so SQLite/PostgreSQL connections are closed before we checkpoint.
        from langflow.services.deps import get_db_service

        await get_db_service().engine.dispose()

    app.router.lifespan_context = startup_only
    return app


class Api:
    """Small helper around TestClient that fails loudly on unexpected HTTP statuses."""

    def __init__(self, client) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None = None, expect=(200, 201), **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = self.client.request(method, path, headers=headers, **kw)
        if resp.status_code not in expect:
            msg = f"{method} {path} -> {resp.status_code}: {resp.text[:500]}"
            raise RuntimeError(msg)
        return resp.json() if resp.content else None

    def login(self, username: str, password: str) -> str:
        data = self.call("POST", "/api/v1/login", data={"username": username, "password": password})
        return data["access_token"]


def add_api_key(api: Api, made: dict, token: str, owner: str, name: str) -> None:
    key = api.call("POST", "/api/v1/api_key/", token, json={"name": name})
    made["api_keys"].append({"id": key["id"], "name": name, "owner": owner, "plaintext": key["api_key"]})


def populate(api: Api) -> dict:
    """Create users, keys, variables and the flow through the HTTP API; return what we made."""
    made: dict = {"users": {}, "api_keys": [], "variables": [], "flows": []}

    admin_token = api.login("admin", ADMIN_PASSWORD)
    admin = api.call("GET", "/api/v1/users/whoami", admin_token)
    made["users"]["admin"] = {"id": admin["id"], "password": ADMIN_PASSWORD}

    tokens = {"admin": admin_token}
    for username, (password, superuser, active, logs_in) in USERS.items():
        # Same route the UI's "New user" dialog uses; new users start inactive
        # (LANGFLOW_NEW_USER_IS_ACTIVE=false) and get their default folder here.
        user = api.call("POST", "/api/v1/users/", admin_token, json={"username": username, "password": password})
        made["users"][username] = {"id": user["id"], "password": password}
        patch = {"is_active": True}
        if superuser:
            patch["is_superuser"] = True
        api.call("PATCH", f"/api/v1/users/{user['id']}", admin_token, json=patch)
        if logs_in:
            tokens[username] = api.login(username, password)
        if not active:
            api.call("PATCH", f"/api/v1/users/{user['id']}", admin_token, json={"is_active": False})

    add_api_key(api, made, tokens["admin"], "admin", "admin-key")
    add_api_key(api, made, tokens["alice"], "alice", "alice-key")

    for owner, variables in (("alice", ALICE_VARIABLES), ("admin", ADMIN_VARIABLES)):
        for name, value, vtype in variables:
            var = api.call(
                "POST",
                "/api/v1/variables/",
                tokens[owner],
                json={"name": name, "value": value, "type": vtype, "default_fields": []},
            )
            made["variables"].append({"id": var["id"], "owner": owner, "name": name, "type": vtype, "value": value})

    flow = api.call(
        "POST",
        "/api/v1/flows/",
        tokens["alice"],
        json={"name": FLOW_NAME, "description": "Fixture flow with an embedded secret", "data": FLOW_DATA},
    )
    made["flows"].append({"id": flow["id"], "owner": "alice", "name": FLOW_NAME, "folder_id": flow.get("folder_id")})
    return made


# --------------------------------------------------------------------------- manifest


def sync_url(db_url: str) -> str:
    if db_url.startswith("postgres"):
        return "postgresql+psycopg://" + db_url.split("://", 1)[1]
    return db_url


def read_back(db_url: str, made: dict) -> dict:
    """Collect what Langflow wrote, via Langflow's ORM models and its own decrypt function."""
    import sqlalchemy as sa
    from langflow.services.database.models.api_key.model import ApiKey
    from langflow.services.database.models.flow.model import Flow
    from langflow.services.database.models.folder.model import Folder
    from langflow.services.database.models.user.model import User
    from langflow.services.database.models.variable.model import Variable
    from sqlmodel import Session, select

    decrypt = make_decrypt()
    engine = sa.create_engine(sync_url(db_url))
    out: dict = {}
    with Session(engine) as session:
        users = session.exec(select(User)).all()
        id_to_name = {u.id: u.username for u in users}
        passwords = {name: info["password"] for name, info in made["users"].items()}
        out["users"] = [
            {
                "id": str(u.id),
                "username": u.username,
                "password": passwords.get(u.username),
                "is_active": u.is_active,
                "is_superuser": u.is_superuser,
                "logged_in": u.last_login_at is not None,
            }
            for u in sorted(users, key=lambda u: u.create_at)
        ]

        plaintexts = {k["id"]: k["plaintext"] for k in made["api_keys"]}
        out["api_keys"] = [
            {
                "id": str(k.id),
                "name": k.name,
                "owner": id_to_name.get(k.user_id),
                "user_id": str(k.user_id),
                "plaintext": plaintexts.get(str(k.id)),
                # How this release stores it: 1.6.9 plaintext; >=1.10 Fernet token + sha256 hash.
                "stored_encrypted": str(k.api_key).startswith("gAAAAA"),
                "has_hash": bool(getattr(k, "api_key_hash", None)),
            }
            for k in session.exec(select(ApiKey)).all()
        ]

        created = {(v["owner"], v["name"]) for v in made["variables"]}
        variables = []
        for v in session.exec(select(Variable)).all():
            owner = id_to_name.get(v.user_id)
            variables.append(
                {
                    "id": str(v.id),
                    "owner": owner,
                    "user_id": str(v.user_id),
                    "name": v.name,
                    "type": v.type,
                    "value": decrypt(v.value),
                    "stored_encrypted": str(v.value).startswith("gAAAAA"),
                    # False for rows Langflow created on its own (e.g. 1.13 login: FLOW_ID, ...).
                    "created_by_fixture": (owner, v.name) in created,
                }
            )
        out["variables"] = sorted(variables, key=lambda v: (v["owner"] or "", v["name"]))

        flows = []
        for f in session.exec(select(Flow)).all():
            data = f.data or {}
            secret = data
            for step in SECRET_FIELD_PATH:
                secret = secret[step] if secret is not None else None
            flows.append(
                {
                    "id": str(f.id),
                    "owner": id_to_name.get(f.user_id),
                    "user_id": str(f.user_id) if f.user_id else None,
                    "name": f.name,
                    "folder_id": str(f.folder_id) if f.folder_id else None,
                    "secret_field_path": SECRET_FIELD_PATH,
                    "secret_field_jsonpath": "data.nodes[0].data.node.template.openai_api_key.value",
                    "secret_value": secret,
                    "bound_field_path": BOUND_FIELD_PATH,
                    "bound_variable": "OPENAI_API_KEY",
                }
            )
        out["flows"] = flows

        out["folders"] = [
            {"id": str(f.id), "name": f.name, "owner": id_to_name.get(f.user_id)}
            for f in session.exec(select(Folder)).all()
        ]

    with engine.connect() as conn:
        out["alembic_revision"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        inspector = sa.inspect(conn)
        counts = {}
        for table in sorted(inspector.get_table_names()):
            counts[table] = conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()
        out["row_counts"] = counts
        if conn.dialect.name == "sqlite":
            out["sqlite_journal_mode"] = conn.execute(sa.text("PRAGMA journal_mode")).scalar()
    engine.dispose()
    return out


def make_decrypt():
    """Langflow's own decrypt_api_key (signature differs per release)."""
    from langflow.services.auth import utils as auth_utils
    from langflow.services.deps import get_settings_service

    settings_service = get_settings_service()

    def decrypt(value):
        if value is None:
            return None
        try:
            return auth_utils.decrypt_api_key(value, settings_service=settings_service)
        except Exception as exc:
            return f"<undecryptable: {type(exc).__name__}>"

    return decrypt


def finish_sqlite(db_url: str, *, vacuum: bool) -> None:
    """Fold the WAL into the main file (and optionally VACUUM) with plain sqlite3."""
    import sqlite3

    path = sqlite_path(db_url)
    conn = sqlite3.connect(path)
    try:
        if vacuum:
            conn.execute("VACUUM")
        busy, _log_frames, _checkpointed = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            msg = "wal_checkpoint(TRUNCATE) could not complete (database busy)"
            raise RuntimeError(msg)
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", required=True, help="sqlite:////abs/path.db or postgresql://u:p@h:5432/db")
    parser.add_argument("--config-dir", required=True, type=Path, help="LANGFLOW_CONFIG_DIR (created)")
    parser.add_argument("--secret-key", required=True, help="LANGFLOW_SECRET_KEY")
    parser.add_argument("--manifest", required=True, type=Path, help="where to write the JSON manifest")
    parser.add_argument("--force", action="store_true", help="replace an existing DB file / recreate the PG DB")
    parser.add_argument("--vacuum", action="store_true", help="SQLite: VACUUM before the final checkpoint")
    args = parser.parse_args()
    if args.db_url.startswith("postgres://"):
        args.db_url = "postgresql://" + args.db_url.split("://", 1)[1]
    args.config_dir = args.config_dir.resolve()

    t_start = time.monotonic()
    prepare_database(args.db_url, force=args.force)
    workdir = Path(tempfile.mkdtemp(prefix="lf-fixture-"))
    set_environment(args, workdir)

    release, base = langflow_version()
    log(f"Langflow {release} (langflow-base {base}) -> {args.db_url}")

    from fastapi.testclient import TestClient

    t0 = time.monotonic()
    app = build_app()
    log(f"app created in {time.monotonic() - t0:.1f}s")
    with TestClient(app) as client:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
        t0 = time.monotonic()
        made = populate(Api(client))
        log(f"populated through the API in {time.monotonic() - t0:.1f}s")

    contents = read_back(args.db_url, made)
    if args.db_url.startswith("sqlite"):
        finish_sqlite(args.db_url, vacuum=args.vacuum)

    config_files = {}
    for p in sorted(Path(args.config_dir).iterdir()):
        if p.is_file() and p.stat().st_size < 16384:
            config_files[p.name] = p.read_text()

    manifest = {
        "langflow_version": release,
        "langflow_base_version": base,
        "backend": "sqlite" if args.db_url.startswith("sqlite") else "postgresql",
        "alembic_revision": contents.pop("alembic_revision"),
        "secret_key": args.secret_key,
        "secret_key_kind": "fernet-key" if len(args.secret_key) >= 32 else "short (derived)",
        # Write these files into a fresh LANGFLOW_CONFIG_DIR to reproduce the server's config.
        "config_dir_files": config_files,
        "environment": {
            "LANGFLOW_AUTO_LOGIN": "False",
            "LANGFLOW_SUPERUSER": "admin",
            "LANGFLOW_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
            "LANGFLOW_SECRET_KEY": args.secret_key,
        },
        **contents,
        "build": {
            "tool": "tests/langflow/make_fixture.py",
            "seconds": round(time.monotonic() - t_start, 1),
            "python_packages": {
                name: importlib.metadata.version(name)
                for name in ("langflow-base", "sqlmodel", "sqlalchemy", "alembic", "cryptography", "bcrypt")
            },
        },
    }
    args.manifest.parent.mkdir(parents=True, exist_ok=True)
    args.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    log(f"wrote {args.manifest} ({time.monotonic() - t_start:.1f}s total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
