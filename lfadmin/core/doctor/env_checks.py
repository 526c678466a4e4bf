"""Checks on the settings alone (no database): SETTINGS.md §9.2 D1-D33 and the seed page.

Each check is a function of an ``EnvContext`` yielding findings; ``ENV_CHECKS`` runs them in
order. Severities follow §9.2 except where a comment says why not.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator

from lfadmin.core.doctor.context import EnvContext, Setting, file_mode, mask, mask_url, url_has_password
from lfadmin.core.doctor.model import Evidence, Finding, Severity, register
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, Derivation, derive_key
from lfadmin.langflow.env import PREFIX

C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
Checker = Callable[[EnvContext], Iterator[Finding]]
ENV_CHECKS: list[Checker] = []


def check(fn: Checker) -> Checker:
    ENV_CHECKS.append(fn)
    return fn


def _fix_hint(s: Setting, line: str) -> str:
    if s.source is not None and s.source.origin.kind == "file":
        return f"replace {s.source.origin} with `{line}`"
    if s.source is not None:
        return f"set `{line}` in the server's .env (it is now set in the {s.source.origin} as {s.source.name})"
    return f"add `{line}` to the server's .env"


# -- values Langflow refuses ------------------------------------------------------------------

CONF_REFUSED = register(
    "LF-CONF-001",
    C,
    "Langflow will not start: a setting has a value it refuses",
    """Langflow validates every setting when it starts (pydantic). A boolean such as `enabled` or
    an empty string, a wrong-case literal (`ENV`, `None`), a non-JSON dict or, from 1.10, a JWT
    algorithm other than HS256/RS256/RS512 stops the server with a ValidationError.""",
    references=("SETTINGS.md §1.7", "SETTINGS.md §9.2 D26"),
)
CONF_DB_URL = register(
    "LF-CONF-002",
    C,
    "Langflow will not start: LANGFLOW_DATABASE_URL is refused",
    """Langflow checks that SQLAlchemy has a dialect for the URL. `postgres://` has none (every
    release refuses it), nor do misspelt schemes; the server exits with "Invalid database_url".""",
    references=("SETTINGS.md §2.2",),
)
CONF_NO_PASSWORD = register(
    "LF-CONF-003",
    C,
    "Langflow will not start: AUTO_LOGIN is off and the superuser password is empty or `langflow`",
    """From 1.10 Langflow needs LANGFLOW_SUPERUSER_PASSWORD at every start when AUTO_LOGIN is off
    and refuses the legacy default `langflow` ("Username and password must be set" /
    "cannot use the legacy default password").""",
    references=("SETTINGS.md §6.3", "CONTRACT.md §8.2"),
)


@check
def refused_values(ctx: EnvContext) -> Iterator[Finding]:
    for name in ctx.env_fields():
        ctx.get(name)  # parses, recording refusals
    for s in ctx.refused:
        yield Finding(
            CONF_REFUSED,
            C,
            f"{s.variable}: {s.refused}; Langflow {ctx.version_label} refuses to start",
            [s.evidence()],
            hint=f"correct {s.source.origin if s.source else s.variable}",
        )


@check
def database_url(ctx: EnvContext) -> Iterator[Finding]:
    val = ctx.exact("LANGFLOW_DATABASE_URL")
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
    scheme = val.raw.split("://", 1)[0].lower() if "://" in val.raw else ""
    ok = scheme in {
        "sqlite",
        "sqlite+aiosqlite",
        "sqlite+pysqlite",
        "postgresql",
        "postgresql+psycopg",
        "postgresql+psycopg2",
        "postgresql+asyncpg",
        "postgresql+pg8000",
        "mysql",
        "mysql+pymysql",
        "mysql+aiomysql",
    }
    if ok:
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
    references=("SETTINGS.md §1.1",),
)

# -- authentication ---------------------------------------------------------------------------

AUTH_AUTO_LOGIN = register(
    "LF-AUTH-001",
    C,
    "AUTO_LOGIN is on: anyone who reaches the server gets a superuser session",
    """With LANGFLOW_AUTO_LOGIN on, an unauthenticated GET /api/v1/auto_login returns a superuser
    session (365 days on 1.6.9); on 1.6.9/1.10.x the MCP endpoints need no credentials at all.
    Critical on a non-loopback host. On loopback it is still high when CORS origins include `*`:
    any web page the user opens can fetch the token.""",
    references=("SETTINGS.md §6.1", "SETTINGS.md §9.2 D1", "seed: LANGFLOW_AUTO_LOGIN"),
)
AUTH_SKIP = register(
    "LF-AUTH-002",
    C,
    "SKIP_AUTH_AUTO_LOGIN with AUTO_LOGIN: the whole API runs without credentials",
    """With AUTO_LOGIN and SKIP_AUTH_AUTO_LOGIN both on, API requests without an API key act as
    the superuser: there is no authentication at all.""",
    references=("SETTINGS.md §6.2", "SETTINGS.md §9.2 D2", "seed: LANGFLOW_SKIP_AUTH_AUTO_LOGIN"),
)
AUTH_DEFAULT_CREDS = register(
    "LF-AUTH-003",
    C,
    "Langflow 1.6 will (re)create the superuser langflow/langflow",
    """Langflow 1.6.x with AUTO_LOGIN off and LANGFLOW_SUPERUSER_PASSWORD unset, empty or
    `langflow` creates (and keeps) an active superuser with the password `langflow` at every
    start.""",
    references=("SETTINGS.md §6.3", "SETTINGS.md §9.2 D4", "seed: LANGFLOW_SUPERUSER"),
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
    references=("SETTINGS.md §9.2 D11", "seed: LANGFLOW_NEW_USER_IS_ACTIVE"),
)
AUTH_SIGNUP = register(
    "LF-AUTH-006",
    L,
    "Public sign-up is open",
    """ENABLE_SIGNUP (default on from 1.10) lets anyone register an (inactive) account; inactive
    accounts pile up for an administrator to activate by mistake.""",
    references=("SETTINGS.md §9.2 D12",),
)
AUTH_SUPERUSER_CLI = register(
    "LF-AUTH-007",
    L,
    "`langflow superuser` is enabled",
    """ENABLE_SUPERUSER_CLI (default on) lets anyone with shell access to the server create
    superusers; the seed recommends false.""",
    references=("SETTINGS.md §9.2 D22", "seed: LANGFLOW_ENABLE_SUPERUSER_CLI"),
)
AUTH_WEBHOOK = register(
    "LF-AUTH-008",
    M,
    "Webhooks run flows without authentication",
    """/api/v1/webhook/{flow} runs a flow as its owner. 1.6.x never authenticates it; 1.10+ does
    unless LANGFLOW_WEBHOOK_AUTH_ENABLE is false.""",
    references=("SETTINGS.md §9.2 D14", "seed: Langflow API keys"),
)
AUTH_ENV_KEY = register(
    "LF-AUTH-009",
    H,
    "API_KEY_SOURCE=env with a weak or missing LANGFLOW_API_KEY",
    """With LANGFLOW_API_KEY_SOURCE=env, an x-api-key equal to LANGFLOW_API_KEY authenticates as
    the superuser: it is a static superuser secret and must be long and random.""",
    references=("SETTINGS.md §9.2 D13",),
)
AUTH_EXTERNAL = register(
    "LF-AUTH-010",
    C,
    "External auth accepts unsigned JWTs",
    """LANGFLOW_EXTERNAL_AUTH_TRUSTED_JWT_DECODE=true makes 1.13 trust identity JWTs without
    verifying their signature: anyone can mint one.""",
    references=("SETTINGS.md §9.2 D5",),
)
AUTH_ALGORITHM = register(
    "LF-AUTH-011",
    H,
    "Langflow 1.6 accepts any JWT algorithm",
    """1.6.x passes LANGFLOW_ALGORITHM to python-jose unchecked (`none` included); only HS256 is
    what Langflow is built for.""",
    references=("SETTINGS.md §1.7", "SETTINGS.md §9.2 D29"),
)
AUTH_TOKEN_LIFETIME = register(
    "LF-AUTH-012",
    L,
    "Very long token lifetimes",
    """Access tokens live LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS (default 1 hour), refresh tokens
    LANGFLOW_REFRESH_TOKEN_EXPIRE_SECONDS (default 7 days); a stolen token works that long.""",
    references=("SETTINGS.md §9.2 D31",),
)
AUTH_PASSWORD_IN_ENV = register(
    "LF-AUTH-013",
    L,
    "The superuser password stays in the server's environment",
    """Langflow never removes LANGFLOW_SUPERUSER_PASSWORD from os.environ: it is readable in
    /proc/<pid>/environ for as long as the server runs. From 1.10 it is required at every start
    with AUTO_LOGIN off, so there it is informational.""",
    references=("SETTINGS.md §6.3", "SETTINGS.md §9.2 D33"),
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
    ev = [al.evidence(), host.evidence()]
    extra = " On 1.6.x the auto-login user is always langflow/langflow." if ctx.tier == 0 else ""
    if not ctx.loopback():
        sev, why = C, f"the server listens on {host.value!r}, not loopback"
    elif ctx.cors_wildcard():
        sev, why = (
            H,
            "the server is on loopback, but CORS origins include '*', "
            "so any web page the user opens can fetch a session",
        )
        ev.append(ctx.get("CORS_ORIGINS").evidence())
    else:
        sev, why = M, "the server is on loopback, so anyone with access to this host is a superuser"
    yield Finding(
        AUTH_AUTO_LOGIN,
        sev,
        f"AUTO_LOGIN is on ({al.shown()}, {al.evidence().source}): "
        f"GET /api/v1/auto_login hands out a superuser session without credentials; {why}.{extra}",
        ev,
        fix="LANGFLOW_AUTO_LOGIN=false",
        hint=_fix_hint(al, "LANGFLOW_AUTO_LOGIN=false")
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
            [skip.evidence(), ctx.get("AUTO_LOGIN").evidence()],
            fix="LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false",
            hint=_fix_hint(skip, "LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false"),
        )
        return
    sev = C if not ctx.loopback() else H
    yield Finding(
        AUTH_SKIP,
        sev,
        "AUTO_LOGIN and SKIP_AUTH_AUTO_LOGIN are both on: requests without an API key act as the "
        f"superuser ({'non-loopback host ' + repr(ctx.value('HOST')) if sev is C else 'loopback host'})",
        [skip.evidence(), ctx.get("AUTO_LOGIN").evidence(), ctx.get("HOST").evidence()],
        fix="LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false",
        hint=_fix_hint(skip, "LANGFLOW_SKIP_AUTH_AUTO_LOGIN=false") + ", then send an x-api-key",
    )


@check
def superuser_password(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.auto_login():
        return
    pw = ctx.get("SUPERUSER_PASSWORD")
    user = ctx.get("SUPERUSER")
    value = pw.value or ""
    if value in ("", "langflow"):
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
                [ctx.get("AUTO_LOGIN").evidence(), pw.evidence(), user.evidence()],
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
                [ctx.get("AUTO_LOGIN").evidence(), pw.evidence()],
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
            [pw.evidence(), user.evidence()],
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
        [pw.evidence()],
        hint="keep the .env readable by the server's user only"
        + ("" if required else "; remove the variable once the superuser exists"),
    )


@check
def signup(ctx: EnvContext) -> Iterator[Finding]:
    active = ctx.get("NEW_USER_IS_ACTIVE")
    if ctx.open_active_signup():
        ev = [active.evidence()]
        if ctx.tier >= 1:
            ev += [ctx.get("ENABLE_SIGNUP").evidence(), ctx.get("AUTO_LOGIN").evidence()]
        yield Finding(
            AUTH_OPEN_SIGNUP,
            H,
            "NEW_USER_IS_ACTIVE is on and public sign-up is open"
            + (" (Langflow 1.6 always accepts POST /api/v1/users/)" if ctx.tier == 0 else " (ENABLE_SIGNUP)")
            + ": anyone who reaches the server gets an active account",
            ev,
            fix="LANGFLOW_NEW_USER_IS_ACTIVE=false",
            hint=_fix_hint(active, "LANGFLOW_NEW_USER_IS_ACTIVE=false")
            + ("" if ctx.tier == 0 else ", or LANGFLOW_ENABLE_SIGNUP=false"),
        )
        return
    if ctx.tier >= 1 and not ctx.auto_login() and ctx.value("ENABLE_SIGNUP"):
        s = ctx.get("ENABLE_SIGNUP")
        yield Finding(
            AUTH_SIGNUP,
            L,
            "public sign-up is open: anyone can register an inactive account",
            [s.evidence()],
            fix="LANGFLOW_ENABLE_SIGNUP=false",
            hint=_fix_hint(s, "LANGFLOW_ENABLE_SIGNUP=false") + " unless self-registration is wanted",
        )


@check
def superuser_cli(ctx: EnvContext) -> Iterator[Finding]:
    s = ctx.get("ENABLE_SUPERUSER_CLI")
    if s.value:
        yield Finding(
            AUTH_SUPERUSER_CLI,
            L,
            "`langflow superuser` can create superusers on this server",
            [s.evidence()],
            fix="LANGFLOW_ENABLE_SUPERUSER_CLI=false",
            hint=_fix_hint(s, "LANGFLOW_ENABLE_SUPERUSER_CLI=false"),
        )


@check
def webhook_auth(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.tier == 0:
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
            [s.evidence()],
            fix="LANGFLOW_WEBHOOK_AUTH_ENABLE=true",
            hint=_fix_hint(s, "LANGFLOW_WEBHOOK_AUTH_ENABLE=true"),
        )


@check
def api_key_source(ctx: EnvContext) -> Iterator[Finding]:
    if not ctx.exists("API_KEY_SOURCE") or ctx.value("API_KEY_SOURCE") != "env":
        return
    src = ctx.get("API_KEY_SOURCE")
    key = ctx.exact("LANGFLOW_API_KEY")
    if key is None:
        yield Finding(
            AUTH_ENV_KEY,
            INFO,
            "API_KEY_SOURCE=env but LANGFLOW_API_KEY is not set: only database keys work",
            [src.evidence()],
            fix="LANGFLOW_API_KEY_SOURCE=db",
            hint=_fix_hint(src, "LANGFLOW_API_KEY_SOURCE=db"),
        )
        return
    if len(key.raw) < 32:
        yield Finding(
            AUTH_ENV_KEY,
            H,
            f"API_KEY_SOURCE=env and LANGFLOW_API_KEY is only {len(key.raw)} characters: it authenticates "
            f"as superuser {ctx.value('SUPERUSER')!r}",
            [src.evidence(), Evidence(key.name, mask(key.raw), str(key.origin), key.origin.path, key.origin.line)],
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
            [on.evidence(), trusted.evidence()],
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
            [s.evidence()],
            fix="LANGFLOW_ALGORITHM=HS256",
            hint=_fix_hint(s, "LANGFLOW_ALGORITHM=HS256"),
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
                [s.evidence()],
                fix=f"LANGFLOW_{name}={default}",
                hint=_fix_hint(s, f"LANGFLOW_{name}={default}"),
            )


# -- the secret key ---------------------------------------------------------------------------

SECRET_UNPINNED = register(
    "LF-SECRET-001",
    M,
    "No fixed LANGFLOW_SECRET_KEY",
    """Without LANGFLOW_SECRET_KEY Langflow uses CONFIG_DIR/secret_key, generating it on first
    start. A new or per-replica config dir (a container without a volume, a second pod) means
    another key: sessions die and stored credentials no longer decrypt.""",
    references=("SETTINGS.md §3.2", "SETTINGS.md §9.2 D9", "seed: LANGFLOW_SECRET_KEY"),
)
SECRET_SHORT = register(
    "LF-SECRET-002",
    H,
    "The secret key is shorter than 32 characters",
    """A short key signs JWTs (brute-forceable HS256) and derives the Fernet key from it
    (predictable PRNG on 1.6-1.10.0, SHA-256 later).""",
    references=("CONTRACT.md §5.1", "SETTINGS.md §9.2 D7"),
)
SECRET_NOT_FERNET = register(
    "LF-SECRET-003",
    H,
    "The secret key is not 32 bytes of urlsafe base64",
    """A key of 32 or more characters is used directly as the Fernet key, so it must decode to
    exactly 32 bytes (`token_urlsafe(32)`, `Fernet.generate_key()`, `openssl rand -base64 32`).
    A 64-character hex string or a passphrase breaks every encrypt/decrypt while logins work.""",
    references=("CONTRACT.md §5.1", "SETTINGS.md §9.2 D8"),
)
SECRET_NEWLINE = register(
    "LF-SECRET-004",
    H,
    "The secret key ends with a newline or whitespace",
    """Langflow reads CONFIG_DIR/secret_key verbatim: a key written with `echo` ends with a
    newline, which 1.6 tolerates but 1.10+ rejects on every encrypt/decrypt.""",
    references=("CONTRACT.md §5.1",),
)
SECRET_DISAGREE = register(
    "LF-SECRET-005",
    M,
    "LANGFLOW_SECRET_KEY and CONFIG_DIR/secret_key differ",
    """Langflow copies LANGFLOW_SECRET_KEY into CONFIG_DIR/secret_key at every start, so a
    different file means the key changed since the server last started (or lfadmin sees another
    config dir): data encrypted under the old key will not decrypt.""",
    references=("CONTRACT.md §5.3",),
)


EPHEMERAL_DIRS = ("/tmp/", "/var/tmp/", "/dev/shm/")  # noqa: S108 - where a config dir does not survive


def _fernet_ok(secret: str, tier_: int) -> bool:
    """What ``Fernet(key)`` accepts: urlsafe base64 decoding to exactly 32 bytes."""
    derivation = Derivation.DIRECT_ALWAYS_PAD if tier_ == 0 else Derivation.DIRECT
    try:
        return len(base64.urlsafe_b64decode(derive_key(secret, derivation))) == 32
    except (binascii.Error, ValueError):
        return False


@check
def secret_key(ctx: EnvContext) -> Iterator[Finding]:
    s = ctx.get("SECRET_KEY")
    config_dir, config_origin = ctx.config_dir()
    path = config_dir / "secret_key"
    try:
        file_key: str | None = path.read_text()
    except (OSError, UnicodeDecodeError):
        file_key = None
    file_key = file_key or None
    if s.value:
        key, ev = s.value, [s.evidence()]
        if file_key is not None and file_key != key:
            yield Finding(
                SECRET_DISAGREE,
                M,
                f"{s.variable} differs from {path}: Langflow will overwrite the file at its next start; "
                "anything encrypted under the file's key will no longer decrypt",
                [s.evidence(), Evidence(str(path), mask(file_key), str(path))],
                hint="find out which key your data was encrypted with (`lfadmin secrets check`) "
                "before starting the server",
            )
    elif file_key is not None:
        key, ev = file_key, [Evidence(str(path), mask(file_key), str(path))]
        ephemeral = str(config_dir).startswith(EPHEMERAL_DIRS)
        explicit = config_origin.kind != "default" and not ephemeral
        yield Finding(
            SECRET_UNPINNED,
            L if explicit else M,
            f"LANGFLOW_SECRET_KEY is not set: the key lives only in {path}"
            + (" (a temporary directory)" if ephemeral else "" if explicit else " (Langflow's default cache directory)")
            + "; another replica or a fresh config dir would generate a different key",
            [s.evidence(), Evidence("LANGFLOW_CONFIG_DIR", str(config_dir), str(config_origin))],
            fix="LANGFLOW_SECRET_KEY=<the contents of that file>",
            hint=f"copy the existing key: `printf 'LANGFLOW_SECRET_KEY=%s\\n' \"$(cat {path})\" >> .env`",
        )
    else:
        yield Finding(
            SECRET_UNPINNED,
            M,
            f"no secret key: LANGFLOW_SECRET_KEY is not set and {path} does not exist, so Langflow will "
            "generate one at its next start",
            [s.evidence(), Evidence("LANGFLOW_CONFIG_DIR", str(config_dir), str(config_origin))],
            fix='LANGFLOW_SECRET_KEY=<output of: python3 -c "import secrets; print(secrets.token_urlsafe(32))">',
            hint="pin it in the .env so every replica and every restart uses the same key",
        )
        return
    stripped = key.rstrip()
    if stripped != key:
        yield Finding(
            SECRET_NEWLINE,
            H if ctx.tier >= 1 else L,
            "the secret key ends with whitespace/newline: "
            + (
                "Langflow 1.10+ fails every encrypt/decrypt with it"
                if ctx.tier >= 1
                else "Langflow 1.6 tolerates it, 1.10+ will fail every encrypt/decrypt"
            ),
            ev,
            hint='rewrite the file without the newline: `printf %s "$KEY" > secret_key` (and keep the same key)',
        )
        key = stripped
    if len(key) < MINIMUM_KEY_LENGTH:
        yield Finding(
            SECRET_SHORT,
            H,
            f"the secret key is {len(key)} characters (fewer than {MINIMUM_KEY_LENGTH})",
            ev,
            fix='LANGFLOW_SECRET_KEY=<output of: python3 -c "import secrets; print(secrets.token_urlsafe(32))">',
            hint="changing the key needs a rotation of stored secrets (`lfadmin secrets rotate`), not just a new line",
        )
    elif not _fernet_ok(key, ctx.tier):
        yield Finding(
            SECRET_NOT_FERNET,
            H,
            f"the secret key is {len(key)} characters but does not decode to 32 bytes of urlsafe base64: "
            "encrypting or decrypting any stored credential fails",
            ev,
            fix='LANGFLOW_SECRET_KEY=<output of: python3 -c "import secrets; print(secrets.token_urlsafe(32))">',
            hint="`openssl rand -hex 32` or a passphrase is not a Fernet key; generate one with token_urlsafe(32)",
        )


# -- CORS and cookies -------------------------------------------------------------------------

CORS_WILDCARD = register(
    "LF-CORS-001",
    H,
    "CORS allows every origin with credentials",
    """LANGFLOW_CORS_ORIGINS `*` (the default) with LANGFLOW_CORS_ALLOW_CREDENTIALS true (the
    default): 1.6 reflects any Origin with Access-Control-Allow-Credentials, so any web site can
    make credentialed requests. 1.10+ force credentials off and warn (info).""",
    references=("SETTINGS.md §3.1", "SETTINGS.md §9.2 D6", "seed: LANGFLOW_CORS_*"),
)
CORS_STRING = register(
    "LF-CORS-002",
    L,
    "CORS methods/headers given as a comma string",
    """LANGFLOW_CORS_ALLOW_METHODS/HEADERS are not split on commas: `GET,POST` reaches Starlette
    as one string and is matched character by character. Use a JSON list.""",
    references=("SETTINGS.md §1.7", "SETTINGS.md §9.2 D30"),
)
COOKIE_HTTPONLY = register(
    "LF-COOKIE-001",
    M,
    "The access-token cookie is readable by JavaScript",
    """LANGFLOW_ACCESS_HTTPONLY false (the 1.6 default): any XSS can read access_token_lf.""",
    references=("SETTINGS.md §9.2 D16",),
)
COOKIE_SECURE = register(
    "LF-COOKIE-002",
    M,
    "Session cookies without Secure on a non-loopback host without TLS",
    """The server listens beyond loopback, has no SSL_CERT_FILE/SSL_KEY_FILE and sends its
    cookies without the Secure flag: tokens travel in clear text unless a TLS proxy is in front
    (then set the *_SECURE flags anyway).""",
    references=("SETTINGS.md §9.2 D17",),
)
COOKIE_SAMESITE = register(
    "LF-COOKIE-003",
    L,
    "A session cookie with SameSite=none",
    """SameSite=none (the refresh cookie's default before 1.13) sends the cookie on cross-site
    requests; browsers drop it unless it is also Secure.""",
    references=("SETTINGS.md §9.2 D18",),
)


@check
def cors(ctx: EnvContext) -> Iterator[Finding]:
    origins, creds = ctx.get("CORS_ORIGINS"), ctx.get("CORS_ALLOW_CREDENTIALS")
    if ctx.cors_wildcard() and creds.value:
        if ctx.tier == 0:
            sev = H
            msg = (
                "CORS origins include '*' with credentials allowed: Langflow 1.6 reflects any Origin "
                "with Access-Control-Allow-Credentials: true, so any web site can call the API with the user's cookies"
            )
        else:
            sev = INFO
            msg = (
                f"CORS origins include '*' with credentials allowed; Langflow {ctx.version_label} turns "
                "credentials off and warns at startup, but cross-origin reads are still open to every site"
            )
        yield Finding(
            CORS_WILDCARD,
            sev,
            msg,
            [origins.evidence(), creds.evidence()],
            fix="LANGFLOW_CORS_ORIGINS=https://langflow.example.com",
            hint="list the exact origins that serve the Langflow UI (comma-separated)",
        )
    for name in ("CORS_ALLOW_METHODS", "CORS_ALLOW_HEADERS"):
        s = ctx.get(name)
        if isinstance(s.value, str) and "," in s.value:
            items = [p.strip() for p in s.value.split(",") if p.strip()]
            line = f"LANGFLOW_{name}=" + "[" + ",".join(f'"{p}"' for p in items) + "]"
            yield Finding(
                CORS_STRING,
                L,
                f"{s.variable} is the single string {s.value!r}: Langflow passes it to Starlette unsplit",
                [s.evidence()],
                fix=line,
                hint=_fix_hint(s, line),
            )


@check
def cookies(ctx: EnvContext) -> Iterator[Finding]:
    http = ctx.get("ACCESS_HTTPONLY")
    if not http.value:
        yield Finding(
            COOKIE_HTTPONLY,
            M,
            "access_token_lf is sent without HttpOnly: a script injected into the UI can read the session token",
            [http.evidence()],
            fix="LANGFLOW_ACCESS_HTTPONLY=true",
            hint=_fix_hint(http, "LANGFLOW_ACCESS_HTTPONLY=true"),
        )
    if not ctx.loopback() and not (ctx.value("SSL_CERT_FILE") and ctx.value("SSL_KEY_FILE")):
        for name in ("ACCESS_SECURE", "REFRESH_SECURE"):
            s = ctx.get(name)
            if not s.value:
                yield Finding(
                    COOKIE_SECURE,
                    M,
                    f"{s.variable} is false and the server listens on {ctx.value('HOST')!r} without TLS "
                    "(no LANGFLOW_SSL_CERT_FILE/LANGFLOW_SSL_KEY_FILE)",
                    [s.evidence(), ctx.get("HOST").evidence()],
                    fix=f"LANGFLOW_{name}=true",
                    hint="serve over https (a TLS proxy or the SSL_* settings) and "
                    + _fix_hint(s, f"LANGFLOW_{name}=true"),
                )
    for name in ("ACCESS_SAME_SITE", "REFRESH_SAME_SITE"):
        s = ctx.get(name)
        if s.value == "none":
            yield Finding(
                COOKIE_SAMESITE,
                L,
                f"{s.variable} is 'none': the cookie is sent on cross-site requests",
                [s.evidence()],
                fix=f"LANGFLOW_{name}=lax",
                hint=_fix_hint(s, f"LANGFLOW_{name}=lax"),
            )


# -- server-side code, files, network ---------------------------------------------------------

EXEC_CUSTOM = register(
    "LF-EXEC-001",
    M,
    "Every user can run custom component code on the server",
    """In multi-user mode (AUTO_LOGIN off) component code runs on the server at flow-build
    time: 1.6 always allows it, 1.10+ unless ALLOW_CUSTOM_COMPONENTS=false or
    CUSTOM_COMPONENT_ADMIN_ONLY=true. Medium while only trusted accounts exist; high when anyone
    can get an active account or the database has active non-superusers. (SETTINGS.md suggests
    high throughout; that would fail every 1.6 multi-user server, which cannot turn it off.)""",
    references=("SETTINGS.md §3.1", "SETTINGS.md §9.2 D10"),
)
EXEC_FILES = register(
    "LF-EXEC-002",
    M,
    "File components can read the server's files",
    """LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS false (the 1.10 default) lets file components read any
    path the server can, in multi-user mode.""",
    references=("SETTINGS.md §9.2 D19",),
)
EXEC_SSRF = register(
    "LF-EXEC-003",
    M,
    "SSRF protection is off or bypassed",
    """LANGFLOW_SSRF_PROTECTION_ENABLED / LANGFLOW_CONNECTOR_SSRF_VALIDATION_ENABLED false, or
    very broad LANGFLOW_SSRF_ALLOWED_HOSTS (`*`, 0.0.0.0/0, a /8), let flows make requests to
    internal addresses (cloud metadata, databases).""",
    references=("SETTINGS.md §9.2 D20",),
)
EXEC_ENV_FALLBACK = register(
    "LF-EXEC-004",
    L,
    "Flows can read the server's environment variables",
    """LANGFLOW_FALLBACK_TO_ENV_VAR (default on) resolves a global variable a user names from the
    server's os.environ when it is not in the database; in multi-user mode any user can ask for
    LANGFLOW_SECRET_KEY or a provider key by name.""",
    references=("SETTINGS.md §9.2 D32",),
)
NET_RATE_LIMIT = register(
    "LF-NET-001",
    M,
    "Login rate limiting is off",
    """LANGFLOW_RATE_LIMIT_ENABLED false removes 1.10+'s login and public-flow rate limit:
    passwords can be brute-forced.""",
    references=("SETTINGS.md §9.2 D21",),
)
NET_TRUST_PROXY = register(
    "LF-NET-002",
    L,
    "Rate limiting trusts X-Forwarded-For",
    """LANGFLOW_RATE_LIMIT_TRUST_PROXY true keys the rate limit on X-Forwarded-For; without a
    proxy that overwrites it, a client can spoof a new address per request.""",
    references=("SETTINGS.md §9.2 D21",),
)
DEV_MODE = register(
    "LF-DEV-001",
    L,
    "Development mode is on",
    """LANGFLOW_DEV true is for Langflow's own development, not for a server people use.""",
    references=("SETTINGS.md §9.2 D23",),
)
DEV_API = register(
    "LF-DEV-002",
    M,
    "Developer API endpoints are on",
    """LANGFLOW_DEVELOPER_API_ENABLED true exposes debugging endpoints.""",
    references=("SETTINGS.md §9.2 D23",),
)
FLOW_KEYS = register(
    "LF-FLOW-001",
    L,
    "API keys typed into flows are stored in the flow JSON",
    """LANGFLOW_REMOVE_API_KEYS false (the default) keeps API keys typed into components in the
    flow data in the database; the seed recommends true (it applies when flows are saved).""",
    references=("CONTRACT.md §9", "seed: Component API keys"),
)


@check
def custom_code(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.auto_login():
        return
    ev = [ctx.get("AUTO_LOGIN").evidence()]
    if ctx.tier >= 1:
        allow, admin_only = ctx.get("ALLOW_CUSTOM_COMPONENTS"), ctx.get("CUSTOM_COMPONENT_ADMIN_ONLY")
        if not allow.value or admin_only.value:
            return
        ev += [allow.evidence(), admin_only.evidence()]
    others = int(ctx.facts.get("active_non_superusers", 0))
    if ctx.open_active_signup():
        sev, why = H, "and anyone can get an active account (LF-AUTH-005)"
    elif others:
        sev, why = H, f"and the database has {others} active non-superuser account(s)"
    else:
        sev, why = M, "so any active non-superuser account can run code on this host"
    yield Finding(
        EXEC_CUSTOM,
        sev,
        "multi-user mode with custom component code allowed for every user, " + why,
        ev,
        fix="LANGFLOW_CUSTOM_COMPONENT_ADMIN_ONLY=true" if ctx.tier >= 1 else None,
        hint="set LANGFLOW_CUSTOM_COMPONENT_ADMIN_ONLY=true (or LANGFLOW_ALLOW_CUSTOM_COMPONENTS=false)"
        if ctx.tier >= 1
        else "Langflow 1.6 cannot restrict it: upgrade to 1.10+ and set LANGFLOW_CUSTOM_COMPONENT_ADMIN_ONLY=true",
    )


@check
def hardening(ctx: EnvContext) -> Iterator[Finding]:
    multi = not ctx.auto_login()
    if ctx.tier >= 1:
        s = ctx.get("RESTRICT_LOCAL_FILE_ACCESS")
        if multi and not s.value:
            yield Finding(
                EXEC_FILES,
                M,
                "file components may read any file the server can (RESTRICT_LOCAL_FILE_ACCESS off) in multi-user mode",
                [s.evidence()],
                fix="LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=true",
                hint=_fix_hint(s, "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=true"),
            )
        for name in ("SSRF_PROTECTION_ENABLED", "CONNECTOR_SSRF_VALIDATION_ENABLED"):
            s = ctx.get(name)
            if not s.value:
                yield Finding(
                    EXEC_SSRF,
                    M,
                    f"{s.variable} is off: flows can reach internal addresses",
                    [s.evidence()],
                    fix=f"LANGFLOW_{name}=true",
                    hint=_fix_hint(s, f"LANGFLOW_{name}=true"),
                )
        s = ctx.get("SSRF_ALLOWED_HOSTS")
        broad = [h.strip() for h in s.value or [] if _broad_network(h.strip())]
        if broad:
            yield Finding(
                EXEC_SSRF,
                M,
                f"LANGFLOW_SSRF_ALLOWED_HOSTS exempts very broad ranges from SSRF protection: {', '.join(broad)}",
                [s.evidence()],
                hint="allow single hosts or small ranges only (never 0.0.0.0/0, a /8 or the metadata address)",
            )
        s = ctx.get("RATE_LIMIT_ENABLED")
        if not s.value:
            yield Finding(
                NET_RATE_LIMIT,
                M,
                "login rate limiting is off",
                [s.evidence()],
                fix="LANGFLOW_RATE_LIMIT_ENABLED=true",
                hint=_fix_hint(s, "LANGFLOW_RATE_LIMIT_ENABLED=true"),
            )
        s = ctx.get("RATE_LIMIT_TRUST_PROXY")
        if s.value:
            yield Finding(
                NET_TRUST_PROXY,
                L,
                "rate limiting trusts X-Forwarded-For (RATE_LIMIT_TRUST_PROXY on)",
                [s.evidence()],
                fix="LANGFLOW_RATE_LIMIT_TRUST_PROXY=false",
                hint="keep it only behind a proxy that overwrites X-Forwarded-For",
            )
        s = ctx.get("DEVELOPER_API_ENABLED")
        if s.value:
            yield Finding(
                DEV_API,
                M,
                "developer API endpoints are enabled",
                [s.evidence()],
                fix="LANGFLOW_DEVELOPER_API_ENABLED=false",
                hint=_fix_hint(s, "LANGFLOW_DEVELOPER_API_ENABLED=false"),
            )
    s = ctx.get("DEV")
    if s.value:
        yield Finding(
            DEV_MODE,
            L,
            "LANGFLOW_DEV is on",
            [s.evidence()],
            fix="LANGFLOW_DEV=false",
            hint=_fix_hint(s, "LANGFLOW_DEV=false"),
        )
    s = ctx.get("FALLBACK_TO_ENV_VAR")
    if multi and s.value:
        yield Finding(
            EXEC_ENV_FALLBACK,
            L,
            "in multi-user mode a flow can read any of the server's environment variables by name",
            [s.evidence()],
            fix="LANGFLOW_FALLBACK_TO_ENV_VAR=false",
            hint=_fix_hint(s, "LANGFLOW_FALLBACK_TO_ENV_VAR=false") + " unless flows rely on it",
        )
    s = ctx.get("REMOVE_API_KEYS")
    if not s.value:
        yield Finding(
            FLOW_KEYS,
            L,
            "API keys typed into components stay in the flow JSON in the database",
            [s.evidence()],
            fix="LANGFLOW_REMOVE_API_KEYS=true",
            hint=_fix_hint(s, "LANGFLOW_REMOVE_API_KEYS=true") + "; store provider keys as global variables instead",
        )


def _broad_network(host: str) -> bool:
    import ipaddress

    if host in ("*", "0.0.0.0", "::"):  # noqa: S104 - values we flag, not bind to
        return True
    try:
        net = ipaddress.ip_network(host, strict=False)
    except ValueError:
        return False
    return net.prefixlen <= (8 if net.version == 4 else 32)


# -- the environment itself -------------------------------------------------------------------

ENV_UNPREFIXED = register(
    "LF-ENV-001",
    M,
    "Unprefixed auth variables: the server and Langflow's CLI see different settings",
    """`langflow run` also applies AUTO_LOGIN, SUPERUSER, SECRET_KEY, ... without the LANGFLOW_
    prefix (the last of X/LANGFLOW_X in the environment wins); `langflow superuser`, `api-key`
    and `migration` do not. The doctor reports what the server sees.""",
    references=("SETTINGS.md §1.4", "SETTINGS.md §9.2 D24"),
)
CONF_PACKAGE_DB = register(
    "LF-CONF-004",
    L,
    "The SQLite database lives inside the Langflow package",
    """With no LANGFLOW_DATABASE_URL and SAVE_DB_IN_CONFIG_DIR false, Langflow keeps langflow.db
    in site-packages/langflow: reinstalling or upgrading the package can lose it.""",
    references=("SETTINGS.md §2.2", "SETTINGS.md §9.2 D27"),
)


@check
def unprefixed(ctx: EnvContext) -> Iterator[Finding]:
    for v in ctx.unprefixed():
        prefixed = ctx.env.setting(v.name)
        shown = (
            mask(v.raw) if v.name in ("SECRET_KEY", "SUPERUSER_PASSWORD", "PRIVATE_KEY", "CACHE_SIGNING_KEY") else v.raw
        )
        ev = [Evidence(v.name, shown, str(v.origin), v.origin.path, v.origin.line)]
        if prefixed is not None:
            pshown = mask(prefixed.raw) if v.name in ("SECRET_KEY", "SUPERUSER_PASSWORD") else prefixed.raw
            ev.append(Evidence(prefixed.name, pshown, str(prefixed.origin), prefixed.origin.path, prefixed.origin.line))
        effective = ctx.get(v.name).source if v.name in ctx.env_fields() else None
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
    if ctx.exact("LANGFLOW_DATABASE_URL") is not None or ctx.database_url_option:
        return
    s = ctx.get("SAVE_DB_IN_CONFIG_DIR")
    if not s.value:
        yield Finding(
            CONF_PACKAGE_DB,
            L,
            "LANGFLOW_DATABASE_URL is not set and SAVE_DB_IN_CONFIG_DIR is off: the database is "
            "site-packages/langflow/langflow.db, lost when the package is reinstalled",
            [s.evidence()],
            fix="LANGFLOW_SAVE_DB_IN_CONFIG_DIR=true",
            hint="or set LANGFLOW_DATABASE_URL (PostgreSQL for anything shared); move the existing file first",
        )


# -- file permissions -------------------------------------------------------------------------

FILE_ENV = register(
    "LF-FILE-001",
    H,
    "The env file holding secrets is readable by other users",
    """The .env holds the superuser password, the secret key or database credentials; it should
    be readable by the server's user only (chmod 600).""",
    references=("SETTINGS.md §9.2 D15",),
)
FILE_KEY = register(
    "LF-FILE-002",
    H,
    "A key file in the config dir is readable by other users",
    """CONFIG_DIR/secret_key and private_key.pem are written 0600 by Langflow; wider modes let
    other local users decrypt credentials and forge sessions.""",
    references=("SETTINGS.md §9.2 D15", "CONTRACT.md §5.3"),
)
FILE_DB = register(
    "LF-FILE-003",
    H,
    "The SQLite database is readable by other users",
    """The SQLite file holds password hashes, API keys (plaintext on 1.6) and encrypted
    credentials; it should be readable by the server's user only.""",
    references=("SETTINGS.md §9.2 D15",),
)


def _secrets_in_file(ctx: EnvContext, path: str) -> list[str]:
    names = []
    for v in ctx.env:
        if v.origin.path != path or not v.raw:
            continue
        bare = v.name.upper().replace(PREFIX, "")
        if bare in ("SECRET_KEY", "SUPERUSER_PASSWORD", "API_KEY", "PRIVATE_KEY", "CACHE_SIGNING_KEY") or (
            bare == "DATABASE_URL" and url_has_password(v.raw)
        ):
            names.append(v.name)
    return names


@check
def permissions(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.env.env_file is not None:
        path = ctx.env.env_file
        mode = file_mode(path)
        secrets = _secrets_in_file(ctx, str(path))
        if mode is not None and mode & 0o077 and secrets:
            yield Finding(
                FILE_ENV,
                H,
                f"{path} is mode {mode:04o} (readable beyond its owner) and holds {', '.join(secrets)}",
                [Evidence(str(path), f"mode {mode:04o}", str(path), str(path), 1)],
                hint=f"chmod 600 {path}",
            )
    config_dir, _ = ctx.config_dir()
    for name in ("secret_key", "private_key.pem"):
        p = config_dir / name
        mode = file_mode(p)
        if mode is not None and mode & 0o077:
            yield Finding(
                FILE_KEY,
                H,
                f"{p} is mode {mode:04o}; Langflow writes it 0600",
                [Evidence(str(p), f"mode {mode:04o}", str(p))],
                hint=f"chmod 600 {p}",
            )
    db_path = ctx.sqlite_path()
    if db_path is not None:
        mode = file_mode(db_path)
        if mode is not None and mode & 0o077:
            yield Finding(
                FILE_DB,
                H,
                f"the SQLite database {db_path} is mode {mode:04o}",
                [Evidence(str(db_path), f"mode {mode:04o}", str(db_path))],
                hint=f"chmod 600 {db_path} (and its -wal/-shm files)",
            )
