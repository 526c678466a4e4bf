"""CORS and the session cookies' flags (LF-CORS-*, LF-COOKIE-*)."""

from __future__ import annotations

from collections.abc import Iterator

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.env_checks._registry import INFO, H, L, M, check, fix_hint
from lfadmin.core.doctor.model import Finding, register

CORS_WILDCARD = register(
    "LF-CORS-001",
    H,
    "CORS allows every origin with credentials",
    """LANGFLOW_CORS_ORIGINS `*` (the default) with LANGFLOW_CORS_ALLOW_CREDENTIALS true (the
    default): 1.6 reflects any Origin with Access-Control-Allow-Credentials, so any web site can
    make credentialed requests. 1.10+ force credentials off and warn (info).""",
    references=("docs/langflow/settings.md §11", "docs/langflow/settings.md §12", "seed: LANGFLOW_CORS_*"),
)
CORS_STRING = register(
    "LF-CORS-002",
    L,
    "CORS methods/headers given as a comma string",
    """LANGFLOW_CORS_ALLOW_METHODS/HEADERS are not split on commas: `GET,POST` reaches Starlette
    as one string and is matched character by character. Use a JSON list.""",
    references=("docs/langflow/settings.md §6",),
)
COOKIE_HTTPONLY = register(
    "LF-COOKIE-001",
    M,
    "The access-token cookie is readable by JavaScript",
    """LANGFLOW_ACCESS_HTTPONLY false (the 1.6 default): any XSS can read access_token_lf.""",
    references=("docs/langflow/settings.md §12",),
)
COOKIE_SECURE = register(
    "LF-COOKIE-002",
    M,
    "Session cookies without Secure on a non-loopback host without TLS",
    """The server listens beyond loopback, has no SSL_CERT_FILE/SSL_KEY_FILE and sends its
    cookies without the Secure flag: tokens travel in clear text unless a TLS proxy is in front
    (then set the *_SECURE flags anyway).""",
    references=("docs/langflow/settings.md §12",),
)
COOKIE_SAMESITE = register(
    "LF-COOKIE-003",
    L,
    "A session cookie with SameSite=none",
    """SameSite=none (the refresh cookie's default before 1.13) sends the cookie on cross-site
    requests; browsers drop it unless it is also Secure.""",
    references=("docs/langflow/settings.md §12",),
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
            [evidence(origins), evidence(creds)],
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
                [evidence(s)],
                fix=line,
                hint=fix_hint(s, line),
            )


@check
def cookies(ctx: EnvContext) -> Iterator[Finding]:
    http = ctx.get("ACCESS_HTTPONLY")
    if not http.value:
        yield Finding(
            COOKIE_HTTPONLY,
            M,
            "access_token_lf is sent without HttpOnly: a script injected into the UI can read the session token",
            [evidence(http)],
            fix="LANGFLOW_ACCESS_HTTPONLY=true",
            hint=fix_hint(http, "LANGFLOW_ACCESS_HTTPONLY=true"),
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
                    [evidence(s), evidence(ctx.get("HOST"))],
                    fix=f"LANGFLOW_{name}=true",
                    hint="serve over https (a TLS proxy or the SSL_* settings) and "
                    + fix_hint(s, f"LANGFLOW_{name}=true"),
                )
    for name in ("ACCESS_SAME_SITE", "REFRESH_SAME_SITE"):
        s = ctx.get(name)
        if s.value == "none":
            yield Finding(
                COOKIE_SAMESITE,
                L,
                f"{s.variable} is 'none': the cookie is sent on cross-site requests",
                [evidence(s)],
                fix=f"LANGFLOW_{name}=lax",
                hint=fix_hint(s, f"LANGFLOW_{name}=lax"),
            )
