"""Authentication: auto-login, the superuser's password, sign-up, webhooks, API keys, JWTs (LF-AUTH-*)."""

from __future__ import annotations

from collections.abc import Iterator

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.env_checks._registry import INFO, C, H, L, M, check, fix_hint
from lfadmin.core.doctor.env_checks.refused import CONF_NO_PASSWORD
from lfadmin.core.doctor.model import Evidence, Finding, register
from lfadmin.langflow.settings import LEGACY_DEFAULT_PASSWORD
from lfadmin.redact import mask_secret

AUTH_AUTO_LOGIN = register(
    "LF-AUTH-001",
    C,
    "AUTO_LOGIN is on: anyone who reaches the server gets a superuser session",
    """With LANGFLOW_AUTO_LOGIN on, an unauthenticated GET /api/v1/auto_login returns a superuser
    session (365 days on 1.6.9); on 1.6.9/1.10.x the MCP endpoints need no credentials at all.
    Critical on a non-loopback host. On loopback it is still high when CORS origins include `*`:
    any web page the user opens can fetch the token.""",
    references=("docs/langflow/auth.md §1", "seed: LANGFLOW_AUTO_LOGIN"),
)
AUTH_SKIP = register(
    "LF-AUTH-002",
    C,
    "SKIP_AUTH_AUTO_LOGIN with AUTO_LOGIN: the whole API runs without credentials",
    """With AUTO_LOGIN and SKIP_AUTH_AUTO_LOGIN both on, API requests without an API key act as
    the superuser: there is no authentication at all.""",
    references=("docs/langflow/auth.md §2", "seed: LANGFLOW_SKIP_AUTH_AUTO_LOGIN"),
)
AUTH_DEFAULT_CREDS = register(
    "LF-AUTH-003",
    C,
    "Langflow 1.6 will (re)create the superuser langflow/langflow",
    """Langflow 1.6.x with AUTO_LOGIN off and LANGFLOW_SUPERUSER_PASSWORD unset, empty or
    `langflow` creates (and keeps) an active superuser with the password `langflow` at every
    start.""",
    references=("docs/langflow/auth.md §3", "seed: LANGFLOW_SUPERUSER"),
)
AUTH_WEAK_PASSWORD = register(
    "LF-AUTH-004",
    H,
    "The superuser password is weak",
    """LANGFLOW_SUPERUSER_PASSWORD is the bootstrap superuser's password. Short passwords, the
    username itself, or stock examples such as `password`/`securepassword` are guessable.""",
    references=("seed: Start a Langflow server with authentication enabled",),
)
AUTH_OPEN_SIGNUP = register(
    "LF-AUTH-005",
    H,
    "Anyone can sign up and is active at once",
    """With NEW_USER_IS_ACTIVE on and public sign-up open (always on 1.6.9; ENABLE_SIGNUP on
    1.10+), anyone who reaches the server gets an active account; with custom components that
    means running code on the server.""",
    references=("docs/langflow/auth.md §7", "seed: LANGFLOW_NEW_USER_IS_ACTIVE"),
)
AUTH_SIGNUP = register(
    "LF-AUTH-006",
    L,
    "Public sign-up is open",
    """ENABLE_SIGNUP (default on from 1.10) lets anyone register an (inactive) account; inactive
    accounts pile up for an administrator to activate by mistake.""",
    references=("docs/langflow/auth.md §7",),
)
AUTH_SUPERUSER_CLI = register(
    "LF-AUTH-007",
    L,
    "`langflow superuser` is enabled",
    """ENABLE_SUPERUSER_CLI (default on) lets anyone with shell access to the server create
    superusers; the seed recommends false.""",
    references=("docs/langflow/auth.md §5", "seed: LANGFLOW_ENABLE_SUPERUSER_CLI"),
)
AUTH_WEBHOOK = register(
    "LF-AUTH-008",
    M,
    "Webhooks run flows without authentication",
    """/api/v1/webhook/{flow} runs a flow as its owner. 1.6.x never authenticates it; 1.10+ does
    unless LANGFLOW_WEBHOOK_AUTH_ENABLE is false.""",
    references=("docs/langflow/settings.md §12", "seed: Langflow API keys"),
)
AUTH_ENV_KEY = register(
    "LF-AUTH-009",
    H,
    "API_KEY_SOURCE=env with a weak or missing LANGFLOW_API_KEY",
    """With LANGFLOW_API_KEY_SOURCE=env, an x-api-key equal to LANGFLOW_API_KEY authenticates as
    the superuser: it is a static superuser secret and must be long and random.""",
    references=("docs/langflow/auth.md §9",),
)
AUTH_EXTERNAL = register(
    "LF-AUTH-010",
    C,
    "External auth accepts unsigned JWTs",
    """LANGFLOW_EXTERNAL_AUTH_TRUSTED_JWT_DECODE=true makes 1.13 trust identity JWTs without
    verifying their signature: anyone can mint one.""",
    references=("docs/langflow/settings.md §12",),
)
AUTH_ALGORITHM = register(
    "LF-AUTH-011",
    H,
    "Langflow 1.6 accepts any JWT algorithm",
    """1.6.x passes LANGFLOW_ALGORITHM to python-jose unchecked (`none` included); only HS256 is
    what Langflow is built for.""",
    references=("docs/langflow/settings.md §6",),
)
AUTH_TOKEN_LIFETIME = register(
    "LF-AUTH-012",
    L,
    "Very long token lifetimes",
    """Access tokens live LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS (default 1 hour), refresh tokens
    LANGFLOW_REFRESH_TOKEN_EXPIRE_SECONDS (default 7 days); a stolen token works that long.""",
    references=("docs/langflow/settings.md §12",),
)
AUTH_PASSWORD_IN_ENV = register(
    "LF-AUTH-013",
    L,
    "The superuser password stays in the server's environment",
    """Langflow never removes LANGFLOW_SUPERUSER_PASSWORD from os.environ: it is readable in
    /proc/<pid>/environ for as long as the server runs. From 1.10 it is required at every start
    with AUTO_LOGIN off, so there it is informational.""",
    references=("docs/langflow/auth.md §3",),
)

_COMMON_PASSWORDS = frozenset(
    {
        "password",
        "securepassword",
        "admin",
        "administrator",
        "changeme",
        "change-me",
        "secret",
        "123456",
        "12345678",
        "123456789",
        "qwerty",
        "letmein",
        "welcome",
        "passw0rd",
        "password1",
        "langflow",
        "admin123",
    }
)
MIN_PASSWORD_LENGTH = 12


@check
def auto_login(ctx: EnvContext) -> Iterator[Finding]:
    al = ctx.get("AUTO_LOGIN")
    if not al.value:
        return
    host = ctx.get("HOST")
    ev = [evidence(al), evidence(host)]
    extra = " On 1.6.x the auto-login user is always langflow/langflow." if ctx.tier == 0 else ""
    if not ctx.loopback():
        sev, why = C, f"the server listens on {host.value!r}, not loopback"
    elif ctx.cors_wildcard():
        sev, why = (
            H,
            "the server is on loopback, but CORS origins include '*', "
            "so any web page the user opens can fetch a session",
        )
        ev.append(evidence(ctx.get("CORS_ORIGINS")))
    else:
        sev, why = M, "the server is on loopback, so anyone with access to this host is a superuser"
    yield Finding(
        AUTH_AUTO_LOGIN,
        sev,
        f"AUTO_LOGIN is on ({al.shown()}, {evidence(al).source}): "
        f"GET /api/v1/auto_login hands out a superuser session without credentials; {why}.{extra}",
        ev,
        fix="LANGFLOW_AUTO_LOGIN=false",
        hint=fix_hint(al, "LANGFLOW_AUTO_LOGIN=false")
        + "; also set LANGFLOW_SUPERUSER and a strong LANGFLOW_SUPERUSER_PASSWORD",
    )


@check
def skip_auth(ctx: EnvContext) -> Iterator[Finding]:
    skip = ctx.get("SKIP_AUTH_AUTO_LOGIN")
    if not skip.value:
        return
    if not ctx.auto_login():
        yield Finding(
            AUTH_SKIP,
            INFO,
            "SKIP_AUTH_AUTO_LOGIN is on but has no effect while AUTO_LOGIN is off; it is deprecated "
            "and will be removed in Langflow 2.0",
            [evidence(skip), evidence(ctx.get("AUTO_LOGIN"))],
            fix="LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false",
            hint=fix_hint(skip, "LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false"),
        )
        return
    sev = C if not ctx.loopback() else H
    yield Finding(
        AUTH_SKIP,
        sev,
        "AUTO_LOGIN and SKIP_AUTH_AUTO_LOGIN are both on: requests without an API key act as the "
        f"superuser ({'non-loopback host ' + repr(ctx.value('HOST')) if sev is C else 'loopback host'})",
        [evidence(skip), evidence(ctx.get("AUTO_LOGIN")), evidence(ctx.get("HOST"))],
        fix="LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false",
        hint=fix_hint(skip, "LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false") + ", then send an x-api-key",
    )


@check
def superuser_password(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.auto_login():
        return
    pw = ctx.get("SUPERUSER_PASSWORD")
    user = ctx.get("SUPERUSER")
    value = pw.value or ""
    if value in ("", LEGACY_DEFAULT_PASSWORD):
        if pw.is_default:
            what = "is not set" + (" (1.6 then uses `langflow`)" if ctx.tier == 0 else "")
        else:
            what = "is empty" if value == "" else "is the legacy default `langflow`"
        if ctx.tier == 0:
            yield Finding(
                AUTH_DEFAULT_CREDS,
                C,
                f"AUTO_LOGIN is off and LANGFLOW_SUPERUSER_PASSWORD {what}: Langflow 1.6 creates or keeps "
                f"the superuser {user.value!r} with the password `langflow` at every start",
                [evidence(ctx.get("AUTO_LOGIN")), evidence(pw), evidence(user)],
                fix="LANGFLOW_SUPERUSER_PASSWORD=<a long random password>",
                hint="set LANGFLOW_SUPERUSER and LANGFLOW_SUPERUSER_PASSWORD (e.g. `openssl rand -base64 24`) "
                "in the server's .env",
            )
        else:
            yield Finding(
                CONF_NO_PASSWORD,
                C,
                f"AUTO_LOGIN is off and LANGFLOW_SUPERUSER_PASSWORD {what}: Langflow {ctx.version_label} "
                "refuses to start ('Username and password must be set' / 'cannot use the legacy default password')",
                [evidence(ctx.get("AUTO_LOGIN")), evidence(pw)],
                fix="LANGFLOW_SUPERUSER_PASSWORD=<a long random password>",
                hint="it is needed at every start while AUTO_LOGIN is off",
            )
        return
    weak = (
        len(value) < MIN_PASSWORD_LENGTH
        or value.lower() in _COMMON_PASSWORDS
        or value.lower() == str(user.value).lower()
    )
    if weak:
        why = (
            "a stock example or common password"
            if value.lower() in _COMMON_PASSWORDS
            else "the same as the username"
            if value.lower() == str(user.value).lower()
            else f"shorter than {MIN_PASSWORD_LENGTH} characters"
        )
        yield Finding(
            AUTH_WEAK_PASSWORD,
            H,
            f"LANGFLOW_SUPERUSER_PASSWORD for superuser {user.value!r} is {why}",
            [evidence(pw), evidence(user)],
            fix="LANGFLOW_SUPERUSER_PASSWORD=<a long random password>",
            hint="generate one with `openssl rand -base64 24`; Langflow only sets it when it creates the "
            "user, so also change it with `lfadmin user set-password`",
        )


@check
def password_in_environment(ctx: EnvContext) -> Iterator[Finding]:
    pw = ctx.get("SUPERUSER_PASSWORD")
    if pw.is_default or not pw.value:
        return
    required = ctx.tier >= 1 and not ctx.auto_login()
    yield Finding(
        AUTH_PASSWORD_IN_ENV,
        INFO if required else L,
        "LANGFLOW_SUPERUSER_PASSWORD stays in the server process's environment after bootstrap"
        + (" (required at every start by this release while AUTO_LOGIN is off)" if required else ""),
        [evidence(pw)],
        hint="keep the .env readable by the server's user only"
        + ("" if required else "; remove the variable once the superuser exists"),
    )


@check
def signup(ctx: EnvContext) -> Iterator[Finding]:
    active = ctx.get("NEW_USER_IS_ACTIVE")
    if ctx.open_active_signup():
        ev = [evidence(active)]
        if ctx.tier >= 1:
            ev += [evidence(ctx.get("ENABLE_SIGNUP")), evidence(ctx.get("AUTO_LOGIN"))]
        yield Finding(
            AUTH_OPEN_SIGNUP,
            H,
            "NEW_USER_IS_ACTIVE is on and public sign-up is open"
            + (" (Langflow 1.6 always accepts POST /api/v1/users/)" if ctx.tier == 0 else " (ENABLE_SIGNUP)")
            + ": anyone who reaches the server gets an active account",
            ev,
            fix="LANGFLOW_NEW_USER_IS_ACTIVE=false",
            hint=fix_hint(active, "LANGFLOW_NEW_USER_IS_ACTIVE=false")
            + ("" if ctx.tier == 0 else ", or LANGFLOW_ENABLE_SIGNUP=false"),
        )
        return
    if ctx.tier >= 1 and not ctx.auto_login() and ctx.value("ENABLE_SIGNUP"):
        s = ctx.get("ENABLE_SIGNUP")
        yield Finding(
            AUTH_SIGNUP,
            L,
            "public sign-up is open: anyone can register an inactive account",
            [evidence(s)],
            fix="LANGFLOW_ENABLE_SIGNUP=false",
            hint=fix_hint(s, "LANGFLOW_ENABLE_SIGNUP=false") + " unless self-registration is wanted",
        )


@check
def superuser_cli(ctx: EnvContext) -> Iterator[Finding]:
    s = ctx.get("ENABLE_SUPERUSER_CLI")
    if s.value:
        yield Finding(
            AUTH_SUPERUSER_CLI,
            L,
            "`langflow superuser` can create superusers on this server",
            [evidence(s)],
            fix="LANGFLOW_ENABLE_SUPERUSER_CLI=false",
            hint=fix_hint(s, "LANGFLOW_ENABLE_SUPERUSER_CLI=false"),
        )


@check
def webhook_auth(ctx: EnvContext) -> Iterator[Finding]:
    if not ctx.exists("WEBHOOK_AUTH_ENABLE"):  # 1.6: no such setting (it came in 1.7, off until 1.9.1)
        yield Finding(
            AUTH_WEBHOOK,
            M,
            "Langflow 1.6 never authenticates /api/v1/webhook/{flow}: anyone who knows a flow's id or "
            "endpoint name can run it as its owner",
            [],
            hint="upgrade to Langflow 1.10 or later (LANGFLOW_WEBHOOK_AUTH_ENABLE, on by default), or block "
            "/api/v1/webhook/ at the reverse proxy",
        )
        return
    s = ctx.get("WEBHOOK_AUTH_ENABLE")
    if not s.value:
        yield Finding(
            AUTH_WEBHOOK,
            M,
            "LANGFLOW_WEBHOOK_AUTH_ENABLE is off: /api/v1/webhook/{flow} runs flows without an API key",
            [evidence(s)],
            fix="LANGFLOW_WEBHOOK_AUTH_ENABLE=true",
            hint=fix_hint(s, "LANGFLOW_WEBHOOK_AUTH_ENABLE=true"),
        )


@check
def api_key_source(ctx: EnvContext) -> Iterator[Finding]:
    if not ctx.exists("API_KEY_SOURCE") or ctx.value("API_KEY_SOURCE") != "env":
        return
    src = ctx.get("API_KEY_SOURCE")
    key = ctx.env.exact("LANGFLOW_API_KEY")
    if key is None:
        yield Finding(
            AUTH_ENV_KEY,
            INFO,
            "API_KEY_SOURCE=env but LANGFLOW_API_KEY is not set: only database keys work",
            [evidence(src)],
            fix="LANGFLOW_API_KEY_SOURCE=db",
            hint=fix_hint(src, "LANGFLOW_API_KEY_SOURCE=db"),
        )
        return
    if len(key.raw) < 32:
        yield Finding(
            AUTH_ENV_KEY,
            H,
            f"API_KEY_SOURCE=env and LANGFLOW_API_KEY is only {len(key.raw)} characters: it authenticates "
            f"as superuser {ctx.value('SUPERUSER')!r}",
            [
                evidence(src),
                Evidence(key.name, mask_secret(key.raw), str(key.origin), key.origin.path, key.origin.line),
            ],
            fix="LANGFLOW_API_KEY=<sk- plus 43 random characters>",
            hint="generate one with `python3 -c \"import secrets; print('sk-' + secrets.token_urlsafe(32))\"`",
        )


@check
def external_auth(ctx: EnvContext) -> Iterator[Finding]:
    if not ctx.exists("EXTERNAL_AUTH_ENABLED"):
        return
    on, trusted = ctx.get("EXTERNAL_AUTH_ENABLED"), ctx.get("EXTERNAL_AUTH_TRUSTED_JWT_DECODE")
    if on.value and trusted.value:
        yield Finding(
            AUTH_EXTERNAL,
            C,
            "external auth decodes identity JWTs without verifying their signature",
            [evidence(on), evidence(trusted)],
            fix="LANGFLOW_EXTERNAL_AUTH_TRUSTED_JWT_DECODE=false",
            hint="set LANGFLOW_EXTERNAL_AUTH_JWKS_URL (https) so signatures are verified",
        )


@check
def algorithm(ctx: EnvContext) -> Iterator[Finding]:
    s = ctx.get("ALGORITHM")
    if ctx.tier == 0 and s.value != "HS256":
        yield Finding(
            AUTH_ALGORITHM,
            H,
            f"LANGFLOW_ALGORITHM is {s.value!r}; Langflow 1.6 accepts any string, `none` included",
            [evidence(s)],
            fix="LANGFLOW_ALGORITHM=HS256",
            hint=fix_hint(s, "LANGFLOW_ALGORITHM=HS256"),
        )


MAX_ACCESS_SECONDS = 24 * 3600
MAX_REFRESH_SECONDS = 30 * 24 * 3600


@check
def token_lifetimes(ctx: EnvContext) -> Iterator[Finding]:
    for name, limit, default in (
        ("ACCESS_TOKEN_EXPIRE_SECONDS", MAX_ACCESS_SECONDS, 3600),
        ("REFRESH_TOKEN_EXPIRE_SECONDS", MAX_REFRESH_SECONDS, 604800),
    ):
        s = ctx.get(name)
        if isinstance(s.value, int) and s.value > limit:
            yield Finding(
                AUTH_TOKEN_LIFETIME,
                L,
                f"{s.variable} is {s.value} seconds (more than {limit // 3600} hours)",
                [evidence(s)],
                fix=f"LANGFLOW_{name}={default}",
                hint=fix_hint(s, f"LANGFLOW_{name}={default}"),
            )
