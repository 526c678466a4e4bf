"""Values Langflow refuses at start-up (LF-CONF-001..003) and a database URL it ignores (LF-ENV-002)."""

from __future__ import annotations

from collections.abc import Iterator

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.env_checks._registry import C, M, check
from lfadmin.core.doctor.model import Evidence, Finding, register
from lfadmin.langflow.settings.fields import DATABASE_SCHEMES
from lfadmin.redact import mask_url, split_url

CONF_REFUSED = register(
    "LF-CONF-001",
    C,
    "Langflow will not start: a setting has a value it refuses",
    """Langflow validates every setting when it starts (pydantic). A boolean such as `enabled` or
    an empty string, a wrong-case literal (`ENV`, `None`), a non-JSON dict or, from 1.10, a JWT
    algorithm other than HS256/RS256/RS512 stops the server with a ValidationError.""",
    references=("docs/langflow/settings.md §6",),
)
CONF_DB_URL = register(
    "LF-CONF-002",
    C,
    "Langflow will not start: LANGFLOW_DATABASE_URL is refused",
    """Langflow checks that SQLAlchemy has a dialect for the URL. `postgres://` has none (every
    release refuses it), nor do misspelt schemes; the server exits with "Invalid database_url".""",
    references=("docs/langflow/settings.md §8",),
)
CONF_NO_PASSWORD = register(
    "LF-CONF-003",
    C,
    "Langflow will not start: AUTO_LOGIN is off and the superuser password is empty or `langflow`",
    """From 1.10 Langflow needs LANGFLOW_SUPERUSER_PASSWORD at every start when AUTO_LOGIN is off
    and refuses the legacy default `langflow` ("Username and password must be set" /
    "cannot use the legacy default password").""",
    references=("docs/langflow/auth.md §3",),
)


@check
def refused_values(ctx: EnvContext) -> Iterator[Finding]:
    for name in ctx.field_names():
        ctx.get(name)  # parses, recording refusals
    for s in ctx.refused:
        yield Finding(
            CONF_REFUSED,
            C,
            f"{s.variable}: {s.refused}; Langflow {ctx.version_label} refuses to start",
            [evidence(s)],
            hint=f"correct {s.source.origin if s.source else s.variable}",
        )


@check
def database_url(ctx: EnvContext) -> Iterator[Finding]:
    val = ctx.env.exact("LANGFLOW_DATABASE_URL")
    if val is None:
        for v in ctx.env:
            if v.name.upper() == "LANGFLOW_DATABASE_URL" and v.name != "LANGFLOW_DATABASE_URL" and v.raw:
                yield Finding(
                    ENV_DB_CASE,
                    M,
                    f"{v.name} is ignored: Langflow reads LANGFLOW_DATABASE_URL with os.getenv (exact case), "
                    "so the server uses its default SQLite database instead",
                    [Evidence(v.name, mask_url(v.raw), str(v.origin), v.origin.path, v.origin.line)],
                    fix=f"LANGFLOW_DATABASE_URL={mask_url(v.raw)}",
                    hint="spell the name in upper case",
                )
        return
    parts = split_url(val.raw)
    scheme = parts[0].lower() if parts is not None else ""
    if scheme in DATABASE_SCHEMES:
        return
    shown = mask_url(val.raw)
    fixed = "postgresql" + shown[len("postgres") :] if scheme == "postgres" else None
    yield Finding(
        CONF_DB_URL,
        C,
        f"LANGFLOW_DATABASE_URL scheme {scheme or '(none)'!r} has no SQLAlchemy dialect; "
        f"Langflow {ctx.version_label} exits with 'Invalid database_url provided'",
        [Evidence(val.name, shown, str(val.origin), val.origin.path, val.origin.line)],
        fix=f"LANGFLOW_DATABASE_URL={fixed}" if fixed else None,
        hint="use postgresql:// (or postgresql+psycopg://) or sqlite:///ABSOLUTE/PATH",
    )


ENV_DB_CASE = register(
    "LF-ENV-002",
    M,
    "A lower-case LANGFLOW_DATABASE_URL is ignored",
    """Unlike other settings, LANGFLOW_DATABASE_URL is read with os.getenv, which is exact-case:
    `langflow_database_url` is ignored and the server quietly uses its default SQLite file.""",
    references=("docs/langflow/settings.md §1",),
)
