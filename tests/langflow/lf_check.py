"""Ask real Langflow whether it accepts a database: many checks, one (slow-to-import) process.

Run with the python of a Langflow venv (see scripts/langflow-venv.sh)::

    <venv>/bin/python tests/langflow/lf_check.py --db-url URL [--secret-key KEY] \
        --config-dir DIR < checks.json > results.json

``checks.json`` is a JSON list of ``{"op": ..., ...}`` objects; the output is a JSON list of
results in the same order. Every result has ``"ok"``: ``true`` means the check ran and the rest
of the object is Langflow's answer (which may well be a refusal, e.g. ``"result": "rejected"``);
``false`` means the check itself could not be evaluated (unknown op, missing user, unexpected
exception) and ``"error"`` says why. One failing check never stops the others.

Ops (see README.md for examples):
    login           {"username", "password"}            authenticate_user (Langflow's password check)
    user            {"username"}                        the row as Langflow's User model reads it
    api_key         {"key"}                             crud-level check_key + request-level dependency
    list_api_keys   {"username"}                        get_api_keys (masked listing, as the API shows)
    variable        {"username", "name"}                VariableService.get_variable (decrypted)
    list_variables  {"username"}                        VariableService.get_all
    folders         {"username"}                        the user's folders via Langflow's Folder model
    flow            {"flow_id"}                         the flow row via Langflow's Flow model
    list_flows      {"username"}                        the flows GET /api/v1/flows/ lists to that user
                                                        (read_flows' query, rows read as FlowRead)
    user_refs       {"user_id"}                         every table.column still holding that user id
    schema_check    {}                                  Langflow's startup alembic check + model/DB diff
    run_history     {"flow_id"}                         the flow's messages, transactions, vertex builds
                                                        (and traces, spans) as Langflow's models and
                                                        its monitor functions read them
    startup         {"env": {...}, "full_app": false}   Langflow's real startup in a child process
                    opt. "requests", "passwords"        (mutates the DB: put it last in a batch);
                                                        full_app + requests: served on a real socket
                                                        and asked over HTTP (lf_live.py)
    twin_*          add_user, superuser, update_user,   write one row through Langflow's own code
                    create_api_key, delete_api_key,     path for the operation (COMMITS; for the
                    create_variable, update_variable    parity test, tests/test_parity.py)

Apart from the twin_* ops and startup, nothing here writes. Nothing migrates or bootstraps: the process builds Langflow's own DatabaseService (engine with
Langflow's pragmas/connect args) without calling initialize_services(), every read runs in a
session that is rolled back, and API-key usage tracking is disabled
(LANGFLOW_DISABLE_TRACK_APIKEY_USAGE=true) so checking a key does not bump its counters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib.metadata
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from datetime import date, datetime
from pathlib import Path

# Columns that hold a user id without a foreign key to user.id (docs/langflow/schema.md §9). Columns with an FK
# to user.id and columns named *user_id are found by reflection on top of these.
FK_LESS_USER_COLUMNS = {
    ("message", "user_id"),
    ("job", "user_id"),
    ("ingestion_run", "user_id"),
    ("memory_base", "user_id"),
    ("transaction", "user_id"),
    ("trigger_cleanup", "user_id"),
    ("flow", "last_modified_by"),
    ("audit_events", "user_id"),
    ("audit_events", "actor_id"),
    ("authz_audit_log", "actor_id"),
    ("data_subject_request", "subject_user_id"),
    ("data_subject_request", "requested_by"),
    ("data_subject_request", "decided_by"),
    ("policy_bundle_revision", "created_by"),
    ("project_replacement_operation", "project_user_id"),
}

# Defaults for the "startup" op: the environment the committed fixtures were built with.
STARTUP_DEFAULT_ENV = {
    "LANGFLOW_AUTO_LOGIN": "False",
    "LANGFLOW_SUPERUSER": "admin",
    "LANGFLOW_SUPERUSER_PASSWORD": "Admin-pass-123",
    "LANGFLOW_CREATE_STARTER_PROJECTS": "false",
    "LANGFLOW_UPDATE_STARTER_PROJECTS": "false",
    "LANGFLOW_MCP_COMPOSER_ENABLED": "false",
    "LANGFLOW_STORE_ENVIRONMENT_VARIABLES": "false",
}


class CheckError(Exception):
    """A check that cannot be evaluated (reported as ok: false)."""


def to_json(value):
    """Make ORM values JSON-safe: UUID -> canonical str, datetime -> ISO, SecretStr -> plaintext."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "get_secret_value"):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def http_error(exc) -> dict:
    return {"status_code": getattr(exc, "status_code", None), "detail": to_json(getattr(exc, "detail", str(exc)))}


def langflow_release() -> str:
    base = importlib.metadata.version("langflow-base")
    major, minor, patch = base.split(".")[:3]
    return f"1.{minor}.{patch}" if major == "0" else base


def sync_url(db_url: str) -> str:
    if db_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + db_url.split("://", 1)[1]
    return db_url


# =========================================================================== the checker


class Checker:
    """Holds Langflow's services and implements the ops. Release differences are handled by
    feature detection (which functions exist / what they accept), not by version numbers."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # 1.10+ need their service factories registered before get_*_service(); 1.6.9 is lazy.
        with contextlib.suppress(ImportError):
            from langflow.services.utils import register_all_service_factories

            register_all_service_factories()

        import langflow.services.database.models
        import langflow.services.database.service  # noqa: F401  (what alembic's env.py imports)
        from langflow.services.auth import utils as auth_utils
        from langflow.services.database.models.api_key import crud as api_key_crud
        from langflow.services.database.models.user import crud as user_crud
        from langflow.services.deps import get_db_service, get_settings_service, get_variable_service

        self.auth_utils = auth_utils
        self.api_key_crud = api_key_crud
        self.user_crud = user_crud
        self.settings_service = get_settings_service()
        # Builds the engine only; migrations happen in initialize_database(), which we never call.
        self.db_service = get_db_service()
        self.variable_service = get_variable_service()
        self.release = langflow_release()

    # ------------------------------------------------------------------ plumbing

    @contextlib.asynccontextmanager
    async def session(self):
        """A plain SQLModel AsyncSession on Langflow's engine that never commits."""
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(self.db_service.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                # Detach first so objects handed back keep their loaded values (a rollback
                # would expire them), then discard anything Langflow flushed.
                session.expunge_all()
                await session.rollback()

    async def get_user(self, session, username: str):
        user = await self.user_crud.get_user_by_username(session, username)
        if user is None:
            msg = f"no user named {username!r}"
            raise CheckError(msg)
        return user

    def auth_service(self):
        """1.10+: the AuthService instance; 1.6.9: None (functions live in auth.utils)."""
        try:
            from langflow.services.deps import get_auth_service
        except ImportError:
            return None
        return get_auth_service()

    async def run(self, check: dict) -> dict:
        op = check.get("op")
        handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
        if handler is None:
            return {"ok": False, "error": f"unknown op {op!r}"}
        try:
            result = await handler(check)
        except CheckError as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:
            return {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=6),
            }
        return {"ok": True, **result}

    # ------------------------------------------------------------------ login

    async def op_login(self, check: dict) -> dict:
        """Langflow's password check, as the /login route runs it (without its side effects)."""
        from fastapi import HTTPException

        username, password = check["username"], check["password"]
        async with self.session() as session:
            existing = await self.user_crud.get_user_by_username(session, username)
            service = self.auth_service()
            try:
                if hasattr(self.auth_utils, "authenticate_user"):  # 1.6.9
                    user = await self.auth_utils.authenticate_user(username, password, session)
                elif "request" not in inspect.signature(service.authenticate_user).parameters:
                    user = await service.authenticate_user(username, password, session)  # 1.8.x
                else:  # 1.10.3, 1.13: AuthService.authenticate_user(username, password, db, request)
                    user = await service.authenticate_user(username, password, session, None)
            except HTTPException as exc:
                # 400 "Waiting for approval" (never logged in) / 401 "Inactive user".
                return {"result": "inactive", "user_id": to_json(existing.id) if existing else None, **http_error(exc)}
        if user is not None:
            return {"result": "ok", "user_id": to_json(user.id)}
        if existing is None:
            return {"result": "no_user", "user_id": None}
        # Langflow returns None for both; 1.10.3+ also refuse password "langflow" for the
        # bootstrap usernames here (reported as wrong_password too).
        return {"result": "wrong_password", "user_id": to_json(existing.id)}

    # ------------------------------------------------------------------ user

    async def op_user(self, check: dict) -> dict:
        async with self.session() as session:
            user = await self.user_crud.get_user_by_username(session, check["username"])
            if user is None:
                return {"exists": False}
            row = user.model_dump()
        row.pop("password", None)
        fields = {k: to_json(v) for k, v in row.items()}
        return {"exists": True, **fields, "password_hash_prefix": user.password[:7] if user.password else None}

    # ------------------------------------------------------------------ API keys

    async def op_api_key(self, check: dict) -> dict:
        """crud-level check (result/username/user_active) and request-level verdict.

        result:               what the crud-level key check returns (1.6.9/1.10.3 ``check_key(session, key)``,
                              1.13 ``_authenticate_api_key_with_session``), run in a rolled-back session.
        accepted_for_request: what a request authenticated with ``x-api-key`` gets: Langflow's
                              ``api_key_security`` dependency followed by ``get_current_active_user``
                              (the chain behind CurrentActiveUser routes). 1.6.9/1.10.3 refuse an
                              inactive owner only in that second step.
        """
        key = check["key"]
        out: dict = {}
        async with self.session() as session:
            user = await self._crud_check_key(session, key)
            if user is None:
                out["result"] = "rejected"
            else:
                out.update(
                    result="accepted",
                    username=user.username,
                    user_id=to_json(user.id),
                    user_active=bool(user.is_active),
                    user_superuser=bool(user.is_superuser),
                )
        async with self.session() as session:
            out.update(await self._request_check_key(session, key))
        if out["result"] == "rejected":
            out["owner"] = await self._key_owner_diagnostic(key)
        return out

    async def _crud_check_key(self, session, key: str):
        crud = self.api_key_crud
        if hasattr(crud, "_authenticate_api_key_with_session"):  # 1.13: the body of check_key()
            result = await crud._authenticate_api_key_with_session(session, key, self.settings_service)
            return result.user if result is not None else None
        return await crud.check_key(session, key)  # 1.6.9 / 1.10.3

    @contextlib.asynccontextmanager
    async def _rollback_scope(self):
        async with self.session() as session:
            yield session

    async def _request_check_key(self, session, key: str) -> dict:
        from fastapi import HTTPException

        service = self.auth_service()
        try:
            if service is None:  # 1.6.9: module-level dependency, opens its own (non-committing) session
                user = await self.auth_utils.api_key_security(None, key)
            elif hasattr(self.api_key_crud, "_authenticate_api_key_in_owned_scope"):
                # 1.13: api_key_security -> authenticate_api_key(), which commits its own
                # transaction. Run the same code with a transaction scope that rolls back.
                import langflow.services.auth.service as service_module

                original = service_module.authenticate_api_key

                async def no_commit(api_key):
                    return await self.api_key_crud._authenticate_api_key_in_owned_scope(api_key, self._rollback_scope)

                service_module.authenticate_api_key = no_commit
                try:
                    user = await service.api_key_security(None, key, session)
                finally:
                    service_module.authenticate_api_key = original
            else:  # 1.10.3: accepts the session to run in
                user = await service.api_key_security(None, key, session)
            if user is None:
                return {"accepted_for_request": False, "request_detail": {"detail": "no user"}}
            await self.auth_utils.get_current_active_user(user)
        except HTTPException as exc:
            return {"accepted_for_request": False, "request_detail": http_error(exc)}
        return {"accepted_for_request": True}

    async def _key_owner_diagnostic(self, key: str) -> dict | None:
        """For a rejected key: does a row exist (plaintext or hash match) and whose is it?"""
        from langflow.services.database.models.api_key.model import ApiKey
        from langflow.services.database.models.user.model import User
        from sqlmodel import or_, select

        clauses = [ApiKey.api_key == key]
        if hasattr(ApiKey, "api_key_hash"):
            clauses.append(ApiKey.api_key_hash == hashlib.sha256(key.encode()).hexdigest())
        async with self.session() as session:
            row = (await session.exec(select(ApiKey).where(or_(*clauses)))).first()
            if row is None:
                return None
            owner = await session.get(User, row.user_id)
            return {
                "key_id": to_json(row.id),
                "key_is_active": to_json(getattr(row, "is_active", None)),
                "expires_at": to_json(getattr(row, "expires_at", None)),
                "username": owner.username if owner else None,
                "user_active": bool(owner.is_active) if owner else None,
            }

    async def op_list_api_keys(self, check: dict) -> dict:
        async with self.session() as session:
            user = await self.get_user(session, check["username"])
            keys = await self.api_key_crud.get_api_keys(session, user.id)
        return {"api_keys": [to_json(k.model_dump()) for k in keys]}

    # ------------------------------------------------------------------ variables

    async def op_variable(self, check: dict) -> dict:
        """VariableService.get_variable: the value a flow would receive at runtime."""
        from langflow.services.database.models.variable.model import Variable
        from sqlmodel import select

        name = check["name"]
        field = check.get("field", "")
        async with self.session() as session:
            user = await self.get_user(session, check["username"])
            row = (
                await session.exec(select(Variable).where(Variable.user_id == user.id, Variable.name == name))
            ).first()
            info = {
                "exists": row is not None,
                "type": row.type if row else None,
                "stored_encrypted": bool(row and str(row.value).startswith("gAAAAA")),
                "fernet_decrypts": self._fernet_decrypts(row.value) if row else None,
            }
            try:
                value = await self.variable_service.get_variable(user.id, name, field, session)
            except Exception as exc:
                return {"result": "raised", "exception": type(exc).__name__, "message": str(exc), **info}
        return {"result": "ok", "value": to_json(value), **info}

    def _fernet_decrypts(self, value) -> bool | None:
        """Whether Langflow's own Fernet object (decrypting variant if the release has one)
        decrypts this value. Tells an encrypted empty string from an undecryptable token,
        which decrypt_api_key() maps both to "" on 1.10+."""
        if not isinstance(value, str) or not value.startswith("gAAAAA"):
            return None
        utils = self.auth_utils
        getter = getattr(utils, "get_fernet_for_decryption", None) or utils.get_fernet
        try:
            getter(self.settings_service).decrypt(value.encode())
        except Exception:
            return False
        return True

    async def op_list_variables(self, check: dict) -> dict:
        async with self.session() as session:
            user = await self.get_user(session, check["username"])
            variables = await self.variable_service.get_all(user_id=user.id, session=session)
        listed = []
        for v in variables:
            listed.append(
                {
                    "id": to_json(v.id),
                    "name": v.name,
                    "type": v.type,
                    "value": to_json(v.value),
                    "default_fields": to_json(v.default_fields),
                }
            )
        return {"variables": listed}

    # ------------------------------------------------------------------ folders / flows

    async def op_folders(self, check: dict) -> dict:
        from langflow.services.database.models.flow.model import Flow
        from langflow.services.database.models.folder.model import Folder
        from sqlmodel import func, select

        async with self.session() as session:
            user = await self.get_user(session, check["username"])
            folders = (await session.exec(select(Folder).where(Folder.user_id == user.id))).all()
            out = []
            for f in folders:
                n_flows = (
                    await session.exec(select(func.count()).select_from(Flow).where(Flow.folder_id == f.id))
                ).one()
                row = {
                    k: to_json(v)
                    for k, v in f.model_dump().items()
                    if k in {"id", "name", "description", "parent_id", "user_id", "is_personal", "auth_settings"}
                }
                out.append({**row, "flow_count": n_flows})
        return {"folders": sorted(out, key=lambda r: r["name"])}

    async def op_flow(self, check: dict) -> dict:
        from langflow.services.database.models.flow.model import Flow

        async with self.session() as session:
            flow = await session.get(Flow, uuid.UUID(str(check["flow_id"])))
            if flow is None:
                return {"exists": False}
            return {"exists": True, **{k: to_json(v) for k, v in flow.model_dump().items()}}

    async def op_list_flows(self, check: dict) -> dict:
        """What ``GET /api/v1/flows/`` lists to ``username``: the route's query (``Flow.user_id ==
        current_user.id``, 1.6.9 and 1.13.0 ``api/v1/flows.py`` ``read_flows``), each row validated
        as the ``FlowRead`` it answers with. (Importing the route itself imports the whole API,
        tens of seconds a fork.)"""
        from langflow.services.database.models.flow.model import Flow, FlowRead
        from sqlmodel import select

        async with self.session() as session:
            user = await self.get_user(session, check["username"])
            flows = (await session.exec(select(Flow).where(Flow.user_id == user.id))).all()
            names = [FlowRead.model_validate(f, from_attributes=True).name for f in flows]
        return {"names": sorted(names)}

    # ------------------------------------------------------------------ user_refs

    async def op_user_refs(self, check: dict) -> dict:
        """Count, in every table, the rows whose user-id columns still hold this id.

        Columns scanned: foreign keys to user.id, every column named *user_id, the FK-less
        user-id columns of docs/langflow/schema.md §9, and user.id itself. Values are compared as text
        against both the 32-hex (SQLite) and the dashed (PostgreSQL uuid::text) spelling.
        """
        user_id = uuid.UUID(str(check["user_id"]))

        def scan(conn):
            import sqlalchemy as sa

            inspector = sa.inspect(conn)
            columns: set[tuple[str, str]] = {("user", "id")}
            tables = inspector.get_table_names()
            for table in tables:
                names = {c["name"] for c in inspector.get_columns(table)}
                for col in names:
                    if col.endswith("user_id") or (table, col) in FK_LESS_USER_COLUMNS:
                        columns.add((table, col))
                for fk in inspector.get_foreign_keys(table):
                    if fk.get("referred_table") == "user":
                        for col, ref in zip(fk["constrained_columns"], fk["referred_columns"], strict=False):
                            if ref == "id":
                                columns.add((table, col))
            columns = {(t, c) for t, c in columns if t in tables}
            refs = {}
            for table, col in sorted(columns):
                stmt = (
                    sa.select(sa.func.count())
                    .select_from(sa.table(table, sa.column(col)))
                    .where(sa.cast(sa.column(col), sa.Text).in_([user_id.hex, str(user_id)]))
                )
                count = conn.execute(stmt).scalar()
                if count:
                    refs[f"{table}.{col}"] = count
            return refs, sorted(f"{t}.{c}" for t, c in columns)

        async with self.db_service.engine.connect() as conn:
            refs, scanned = await conn.run_sync(scan)
            await conn.rollback()
        return {"refs": refs, "scanned": scanned}

    # ------------------------------------------------------------------ schema_check

    async def op_schema_check(self, check: dict) -> dict:
        """Langflow's startup consistency checks, without the upgrade that startup would run.

        alembic_check: ``alembic check`` with Langflow's script location and env.py, exactly as
                       DatabaseService._run_migrations() runs it at startup (fails if the DB is not
                       at head or the models differ from the DB).
        schema_health: DatabaseService._check_schema_health (user/flow/apikey columns).
        missing_*:     SQLModel.metadata tables/columns absent from the DB (docs/langflow/running.md §3: 1.13's
                       ``migration --test`` miscounts non-table models, so compare metadata directly).
        """
        from langflow.services.database.service import DatabaseService

        alembic_result = await asyncio.to_thread(self._alembic_check)

        def compare(conn):
            import sqlalchemy as sa
            from sqlmodel import SQLModel

            inspector = sa.inspect(conn)
            db_tables = set(inspector.get_table_names())
            missing_tables, missing_columns = [], []
            for name, table in sorted(SQLModel.metadata.tables.items()):
                if name not in db_tables:
                    missing_tables.append(name)
                    continue
                have = {c["name"] for c in inspector.get_columns(name)}
                missing_columns += [f"{name}.{c.name}" for c in table.columns if c.name not in have]
            extra = sorted(db_tables - set(SQLModel.metadata.tables) - {"alembic_version"})
            revision = None
            if "alembic_version" in db_tables:
                revision = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
            health = DatabaseService._check_schema_health(conn)
            return missing_tables, missing_columns, extra, revision, health

        async with self.db_service.engine.connect() as conn:
            missing_tables, missing_columns, extra, revision, health = await conn.run_sync(compare)
            await conn.rollback()

        ok = alembic_result["alembic_check"] == "ok" and health and not missing_tables and not missing_columns
        return {
            "result": "ok" if ok else "mismatch",
            **alembic_result,
            "schema_health": bool(health),
            "missing_tables": missing_tables,
            "missing_columns": missing_columns,
            "extra_tables": extra,
            "db_revision": revision,
        }

    def _alembic_check(self) -> dict:
        """Runs in a worker thread: Langflow's env.py calls asyncio.run() itself."""
        import io

        from alembic import command, util
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        buffer = io.StringIO()
        cfg = Config(stdout=buffer)
        cfg.set_main_option("script_location", str(self.db_service.script_location))
        cfg.set_main_option("sqlalchemy.url", self.db_service.database_url.replace("%", "%%"))
        heads = list(ScriptDirectory.from_config(cfg).get_heads())
        try:
            command.check(cfg)
        except util.exc.AutogenerateDiffsDetected as exc:
            return {"alembic_check": "diffs", "alembic_message": str(exc), "script_heads": heads}
        except util.exc.CommandError as exc:  # e.g. "Target database is not up to date."
            return {"alembic_check": "error", "alembic_message": str(exc), "script_heads": heads}
        return {"alembic_check": "ok", "script_heads": heads}

    # ------------------------------------------------------------------ twins (these COMMIT)
    # Each twin op writes one row through the code path Langflow itself uses for the operation
    # (its API endpoint function, CLI helper or service), in a transaction of its own that
    # commits, so a test can compare the row with the one lfadmin wrote for the same operation.

    @contextlib.asynccontextmanager
    async def committing_session(self):
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(self.db_service.engine, expire_on_commit=False) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def password_hash(self, password: str) -> str:
        service = self.auth_service()
        if service is not None and hasattr(service, "get_password_hash"):
            return service.get_password_hash(password)
        return self.auth_utils.get_password_hash(password)  # 1.6.9

    async def op_twin_add_user(self, check: dict) -> dict:
        """``POST /api/v1/users/`` (``api.v1.users.add_user``), called by an active superuser;
        ``superuser``: then ``PATCH`` it to superuser (``user.crud.update_user``), as the UI does."""
        from fastapi import Response
        from langflow.api.v1 import users as users_api
        from langflow.services.database.models.user.model import UserCreate, UserUpdate

        auth = self.settings_service.auth_settings
        if check.get("active") is not None:
            auth.NEW_USER_IS_ACTIVE = bool(check["active"])
        async with self.committing_session() as session:
            admin = await self.get_user(session, check.get("as", "admin"))
            offered = {
                "user": UserCreate(username=check["username"], password=check["password"]),
                "session": session,
                "current_user": admin,
                "response": Response(),
                "operation_id": None,
            }
            params = inspect.signature(users_api.add_user).parameters
            user = await users_api.add_user(**{k: v for k, v in offered.items() if k in params})
            user_id = user.id
        if check.get("superuser"):
            async with self.committing_session() as session:
                row = await self.get_user(session, check["username"])
                await self.user_crud.update_user(row, UserUpdate(is_superuser=True), session)
        return {"user_id": to_json(user_id)}

    async def op_twin_superuser(self, check: dict) -> dict:
        """``langflow superuser`` (``create_super_user``: the CLI's and the bootstrap's path)."""
        async with self.committing_session() as session:
            service = self.auth_service()
            make = getattr(service, "create_super_user", None) or self.auth_utils.create_super_user
            user = await make(check["username"], check["password"], session)
            return {"user_id": to_json(user.id)}

    async def op_twin_update_user(self, check: dict) -> dict:
        """``PATCH /api/v1/users/{id}`` (``user.crud.update_user``); a password is hashed first,
        as the route does. ``new_username``: a rename, with the stored hash written back as the
        route does when no password is given."""
        from langflow.services.database.models.user.model import UserUpdate

        fields = {k: check[k] for k in ("is_active", "is_superuser", "password") if k in check}
        if "password" in fields:
            fields["password"] = self.password_hash(fields["password"])
        async with self.committing_session() as session:
            row = await self.get_user(session, check["username"])
            if "new_username" in check:
                fields["username"] = check["new_username"]
                fields.setdefault("password", row.password)
            await self.user_crud.update_user(row, UserUpdate(**fields), session)
            return {"user_id": to_json(row.id)}

    async def op_run_history(self, check: dict) -> dict:
        """Read one flow's run history as Langflow does: its models (every column validated) and the
        functions behind the monitor endpoints (aget_messages, get_transactions_by_flow_id,
        get_vertex_builds_by_flow_id; 1.8+ traces and their spans)."""
        from langflow.memory import aget_messages
        from langflow.services.database.models.flow.model import Flow
        from langflow.services.database.models.message.model import MessageTable
        from langflow.services.database.models.transactions.crud import get_transactions_by_flow_id
        from langflow.services.database.models.transactions.model import TransactionTable
        from langflow.services.database.models.vertex_builds import crud as vb_crud
        from langflow.services.database.models.vertex_builds.model import VertexBuildTable
        from sqlmodel import func, select

        flow_id = uuid.UUID(str(check["flow_id"]))
        out: dict = {}
        async with self.session() as session:
            flow = await session.get(Flow, flow_id)
            for name, model in (("message", MessageTable), ("transaction", TransactionTable),
                                ("vertex_build", VertexBuildTable)):
                rows = (await session.exec(select(model).where(model.flow_id == flow_id))).all()
                out[name] = len(rows)
            scope = {"user_id": flow.user_id} if "user_id" in inspect.signature(aget_messages).parameters else {}
            out["monitor_messages"] = len(await aget_messages(flow_id=flow_id, limit=None, **scope))
            out["monitor_transactions"] = len(await get_transactions_by_flow_id(session, flow_id, limit=None))
            params = inspect.signature(vb_crud.get_vertex_builds_by_flow_id).parameters
            extra = {"user_id": flow.user_id} if "user_id" in params else {}
            out["monitor_vertex_builds"] = len(await vb_crud.get_vertex_builds_by_flow_id(session, flow_id, **extra))
            with contextlib.suppress(ImportError):
                from langflow.services.database.models.traces.model import SpanTable, TraceTable

                traces = (await session.exec(select(TraceTable).where(TraceTable.flow_id == flow_id))).all()
                out["trace"] = len(traces)
                ids = [t.id for t in traces]
                spans = (await session.exec(select(func.count()).select_from(SpanTable))).one()
                out["span_total"] = int(spans)
                out["span"] = len((await session.exec(select(SpanTable).where(SpanTable.trace_id.in_(ids)))).all())
        return out

    async def op_kb_list(self, check: dict) -> dict:
        """``GET /api/v1/knowledge_bases`` of 1.6-1.12 as ``username``, under the directory ``root``
        (the route reads ``<root>/<username>``; the module caches the setting, so set it there)."""
        from pathlib import Path

        from langflow.api.v1 import knowledge_bases as kb_api

        kb_api._KNOWLEDGE_BASES_DIR = Path(check["root"])
        async with self.session() as session:
            user = await self.get_user(session, check["username"])
        found = await kb_api.list_knowledge_bases(current_user=user)
        return {"ids": sorted(kb.id for kb in found)}

    async def op_twin_create_api_key(self, check: dict) -> dict:
        """``POST /api/v1/api_key/`` (``api_key.crud.create_api_key``)."""
        from langflow.services.database.models.api_key.model import ApiKeyCreate

        async with self.committing_session() as session:
            user = await self.get_user(session, check["username"])
            made = await self.api_key_crud.create_api_key(session, ApiKeyCreate(name=check["name"]), user.id)
            return {"key_id": to_json(made.id), "key": made.api_key}

    async def op_twin_delete_api_key(self, check: dict) -> dict:
        """``DELETE /api/v1/api_key/{id}`` (``api_key.crud.delete_api_key``); the key by
        ``key_id``, or the user's only key called ``name``."""
        from langflow.services.database.models.api_key.model import ApiKey
        from sqlmodel import select

        async with self.committing_session() as session:
            user = await self.get_user(session, check["username"])
            if "key_id" in check:
                key_id = uuid.UUID(check["key_id"])
            else:
                stmt = select(ApiKey.id).where(ApiKey.user_id == user.id, ApiKey.name == check["name"])
                key_id = (await session.exec(stmt)).one()
            params = inspect.signature(self.api_key_crud.delete_api_key).parameters
            extra = {"user_id": user.id} if "user_id" in params else {}
            await self.api_key_crud.delete_api_key(session, key_id, **extra)
        return {"key_id": to_json(key_id)}

    async def op_twin_create_variable(self, check: dict) -> dict:
        """``POST /api/v1/variables/`` (``VariableService.create_variable``)."""
        async with self.committing_session() as session:
            user = await self.get_user(session, check["username"])
            var = await self.variable_service.create_variable(
                user.id,
                check["name"],
                check["value"],
                default_fields=check.get("default_fields", []),
                type_=check["type"],
                session=session,
            )
            return {"variable_id": to_json(var.id)}

    async def op_twin_update_variable(self, check: dict) -> dict:
        """``PATCH /api/v1/variables/{id}`` (``VariableService.update_variable_fields``)."""
        from langflow.services.database.models.variable.model import Variable, VariableUpdate
        from sqlmodel import select

        async with self.committing_session() as session:
            user = await self.get_user(session, check["username"])
            stmt = select(Variable).where(Variable.user_id == user.id, Variable.name == check["name"])
            var = (await session.exec(stmt)).one()
            update = VariableUpdate(id=var.id, value=check["value"])
            await self.variable_service.update_variable_fields(user.id, var.id, update, session)
            return {"variable_id": to_json(var.id)}

    # ------------------------------------------------------------------ startup

    async def op_startup(self, check: dict) -> dict:
        """Run Langflow's real startup in a fresh child process (a real server start is a fresh
        process too, and settings are read from the environment once per process)."""
        await self.db_service.engine.dispose()  # release our connections/locks first
        env = dict(os.environ)
        env.pop("LANGFLOW_DISABLE_TRACK_APIKEY_USAGE", None)
        env.update(STARTUP_DEFAULT_ENV)
        for k, v in (check.get("env") or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--startup-child"]
        if check.get("full_app"):
            cmd.append("--full-app")
        # full_app with requests: served on a real socket and asked over HTTP (lf_live.py)
        live = json.dumps({"requests": check["requests"], "passwords": check.get("passwords", {})}) \
            if check.get("requests") is not None else ""
        t0 = time.monotonic()
        server = os.environ.get("LF_SERVER_SOCKET")
        if server:  # under lf_server.py: a fresh fork of the already-imported Langflow
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from lf_server import request

            env.pop("LF_SERVER_SOCKET", None)
            answer = request(server, "lf_check", cmd[2:], env, live, timeout=int(check.get("timeout", 600)))
            returncode, stdout, stderr = answer["rc"], answer["stdout"], answer["stderr"]
        else:
            try:
                proc = subprocess.run(
                    cmd, env=env, input=live, capture_output=True, text=True,
                    timeout=float(check.get("timeout", 600)), check=False,
                )
            except subprocess.TimeoutExpired:
                return {"result": "failed", "exception": "TimeoutExpired", "message": "startup did not finish"}
            returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
        if not lines:
            return {
                "result": "failed",
                "exception": "ChildCrashed",
                "message": f"exit code {returncode}",
                "stderr_tail": stderr[-3000:],
            }
        report = json.loads(lines[-1])
        report["seconds"] = round(time.monotonic() - t0, 1)
        if report.get("result") != "ok":
            report["stderr_tail"] = stderr[-3000:]
        return report


# =========================================================================== startup child


def startup_child(full_app: bool) -> int:
    """Runs in the child process: Langflow's startup against LANGFLOW_DATABASE_URL.

    Default: ``initialize_services()`` (tables, ``alembic upgrade head`` + check, superuser
    bootstrap/teardown, orphan flow assignment). ``--full-app``: the whole FastAPI lifespan
    (what ``langflow run`` does) via TestClient, then ``GET /health_check``.
    """
    report: dict = {"result": "ok", "mode": "full_app" if full_app else "initialize_services"}
    live = sys.stdin.read().strip() if full_app else ""
    try:
        if live:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from lf_live import serve_and_ask

            asked = json.loads(live)
            report = {"mode": "live", **serve_and_ask(asked["requests"], asked["passwords"])}
        elif full_app:
            from fastapi.testclient import TestClient
            from langflow.main import create_app

            # The lifespan imports langflow.__main__ at shutdown, which installs signal handlers
            # and so must first be imported from the main thread (TestClient runs the app in a
            # worker thread).
            with contextlib.suppress(ImportError):
                import langflow.__main__  # noqa: F401

            with TestClient(create_app()) as client:
                resp = client.get("/health_check")
                report["health_check"] = {"status_code": resp.status_code, "body": resp.json()}
                if resp.status_code != 200:
                    report["result"] = "failed"
        else:
            with contextlib.suppress(ImportError):
                from langflow.services.utils import register_all_service_factories

                register_all_service_factories()
            from langflow.services.deps import get_db_service
            from langflow.services.utils import initialize_services

            async def start():
                await initialize_services()
                await get_db_service().engine.dispose()

            asyncio.run(start())
    except BaseException as exc:
        traceback.print_exc()
        report = {
            "result": "failed",
            "mode": report["mode"],
            "exception": type(exc).__name__,
            "message": str(exc)[:4000],
            "cause": repr(exc.__cause__)[:2000] if exc.__cause__ else None,
        }
    print(json.dumps(report, default=str), flush=True)
    return 0


# =========================================================================== main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", help="sqlite:////abs/path.db or postgresql://u:p@h:5432/db")
    parser.add_argument("--secret-key", help="LANGFLOW_SECRET_KEY (else CONFIG_DIR/secret_key is used)")
    parser.add_argument("--config-dir", type=Path, help="LANGFLOW_CONFIG_DIR (default: a temp dir)")
    parser.add_argument("--startup-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--full-app", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.startup_child:  # environment already prepared by the parent
        return startup_child(args.full_app)
    if not args.db_url:
        parser.error("--db-url is required")

    checks = json.load(sys.stdin)
    if not isinstance(checks, list):
        print("stdin must hold a JSON list of checks", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="lf-check-"))
    config_dir = (args.config_dir or workdir / "config").resolve()
    config_dir.mkdir(parents=True, exist_ok=True)
    db_url = args.db_url
    if db_url.startswith("postgres://"):
        db_url = "postgresql://" + db_url.split("://", 1)[1]
    env = {
        "LANGFLOW_DATABASE_URL": db_url,
        "LANGFLOW_CONFIG_DIR": str(config_dir),
        "LANGFLOW_ALEMBIC_LOG_FILE": str(workdir / "alembic.log"),
        "LANGFLOW_AUTO_LOGIN": os.environ.get("LANGFLOW_AUTO_LOGIN", "False"),
        "LANGFLOW_DISABLE_TRACK_APIKEY_USAGE": "true",
        "LANGFLOW_LOG_LEVEL": os.environ.get("LANGFLOW_LOG_LEVEL", "error"),
        "DO_NOT_TRACK": "true",
    }
    if args.secret_key:
        env["LANGFLOW_SECRET_KEY"] = args.secret_key
    os.environ.update(env)

    # Langflow logs to stdout in some releases: keep stdout for our JSON only.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    async def run_all():
        t0 = time.monotonic()
        checker = Checker(args)
        print(f"[lf_check] Langflow {checker.release} ready in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        results = []
        for check in checks:
            if not isinstance(check, dict):
                results.append({"ok": False, "error": "a check must be a JSON object"})
                continue
            results.append(await checker.run(check))
        with contextlib.suppress(Exception):
            await checker.db_service.engine.dispose()
        return results

    try:
        results = asyncio.run(run_all())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # alembic log (+ config dir when defaulted)
    sys.stdout = real_stdout
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
