"""The environment itself: unprefixed variables, a database inside the package (LF-ENV-001, LF-CONF-004)."""

from __future__ import annotations

from collections.abc import Iterator

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.env_checks._registry import L, M, check
from lfadmin.core.doctor.model import Evidence, Finding, register
from lfadmin.langflow.env import PREFIX
from lfadmin.langflow.settings.fields import SECRET_FIELDS
from lfadmin.redact import mask_secret, secret_name

ENV_UNPREFIXED = register(
    "LF-ENV-001",
    M,
    "Unprefixed auth variables: the server and Langflow's CLI see different settings",
    """`langflow run` also applies AUTO_LOGIN, SUPERUSER, SECRET_KEY, ... without the LANGFLOW_
    prefix (the last of X/LANGFLOW_X in the environment wins); `langflow superuser`, `api-key`
    and `migration` do not. The doctor reports what the server sees.""",
    references=("docs/langflow/settings.md §4",),
)
CONF_PACKAGE_DB = register(
    "LF-CONF-004",
    L,
    "The SQLite database lives inside the Langflow package",
    """With no LANGFLOW_DATABASE_URL and SAVE_DB_IN_CONFIG_DIR false, Langflow keeps langflow.db
    in site-packages/langflow: reinstalling or upgrading the package can lose it.""",
    references=("docs/langflow/settings.md §8",),
)


def _secret(name: str) -> bool:
    return name in SECRET_FIELDS or secret_name(name)


@check
def unprefixed(ctx: EnvContext) -> Iterator[Finding]:
    for v in ctx.unprefixed():
        prefixed = ctx.env.setting(v.name)
        shown = mask_secret(v.raw) if _secret(v.name) else v.raw
        ev = [Evidence(v.name, shown, str(v.origin), v.origin.path, v.origin.line)]
        if prefixed is not None:
            pshown = mask_secret(prefixed.raw) if _secret(v.name) else prefixed.raw
            ev.append(Evidence(prefixed.name, pshown, str(prefixed.origin), prefixed.origin.path, prefixed.origin.line))
        effective = ctx.get(v.name).source if v.name in ctx.field_names() else None
        winner = f"; the server uses {effective.name}" if effective is not None else ""
        clash = (
            f" and shadows {prefixed.name}" + (" with a different value" if prefixed.raw != v.raw else "")
            if prefixed is not None
            else ""
        )
        yield Finding(
            ENV_UNPREFIXED,
            M,
            f"{v.name} is set without the LANGFLOW_ prefix{clash}: `langflow run` applies it, "
            f"`langflow superuser`/`api-key` ignore it{winner}",
            ev,
            fix=f"{PREFIX}{v.name}={shown}",
            hint=f"rename it to {PREFIX}{v.name} (and remove the other spelling)",
        )


@check
def package_database(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.settings.configured_database_url() is not None:
        return
    s = ctx.get("SAVE_DB_IN_CONFIG_DIR")
    if not s.value:
        yield Finding(
            CONF_PACKAGE_DB,
            L,
            "LANGFLOW_DATABASE_URL is not set and SAVE_DB_IN_CONFIG_DIR is off: the database is "
            "site-packages/langflow/langflow.db, lost when the package is reinstalled",
            [evidence(s)],
            fix="LANGFLOW_SAVE_DB_IN_CONFIG_DIR=true",
            hint="or set LANGFLOW_DATABASE_URL (PostgreSQL for anything shared); move the existing file first",
        )
