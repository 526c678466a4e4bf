"""Server-side code, files and network: what flows may reach on the host (LF-EXEC/NET/DEV/FLOW-*)."""

from __future__ import annotations

from collections.abc import Iterator

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.env_checks._registry import H, L, M, check, fix_hint
from lfadmin.core.doctor.model import Finding, register

EXEC_CUSTOM = register(
    "LF-EXEC-001",
    M,
    "Every user can run custom component code on the server",
    """In multi-user mode (AUTO_LOGIN off) component code runs on the server at flow-build
    time: 1.6 always allows it, 1.10+ unless ALLOW_CUSTOM_COMPONENTS=false or
    CUSTOM_COMPONENT_ADMIN_ONLY=true. Medium while only trusted accounts exist; high when anyone
    can get an active account or the database has active non-superusers. (Rated
    high throughout, it would fail every 1.6 multi-user server, which cannot turn it off.)""",
    references=("docs/langflow/settings.md §11", "docs/langflow/settings.md §12"),
)
EXEC_FILES = register(
    "LF-EXEC-002",
    M,
    "File components can read the server's files",
    """LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS false (the 1.10 default) lets file components read any
    path the server can, in multi-user mode.""",
    references=("docs/langflow/settings.md §12",),
)
EXEC_SSRF = register(
    "LF-EXEC-003",
    M,
    "SSRF protection is off or bypassed",
    """LANGFLOW_SSRF_PROTECTION_ENABLED / LANGFLOW_CONNECTOR_SSRF_VALIDATION_ENABLED false, or
    very broad LANGFLOW_SSRF_ALLOWED_HOSTS (`*`, 0.0.0.0/0, a /8), let flows make requests to
    internal addresses (cloud metadata, databases).""",
    references=("docs/langflow/settings.md §12",),
)
EXEC_ENV_FALLBACK = register(
    "LF-EXEC-004",
    L,
    "Flows can read the server's environment variables",
    """LANGFLOW_FALLBACK_TO_ENV_VAR (default on) resolves a global variable a user names from the
    server's os.environ when it is not in the database; in multi-user mode any user can ask for
    LANGFLOW_SECRET_KEY or a provider key by name.""",
    references=("docs/langflow/settings.md §12",),
)
NET_RATE_LIMIT = register(
    "LF-NET-001",
    M,
    "Login rate limiting is off",
    """LANGFLOW_RATE_LIMIT_ENABLED false removes 1.10+'s login and public-flow rate limit:
    passwords can be brute-forced.""",
    references=("docs/langflow/settings.md §12",),
)
NET_TRUST_PROXY = register(
    "LF-NET-002",
    L,
    "Rate limiting trusts X-Forwarded-For",
    """LANGFLOW_RATE_LIMIT_TRUST_PROXY true keys the rate limit on X-Forwarded-For; without a
    proxy that overwrites it, a client can spoof a new address per request.""",
    references=("docs/langflow/settings.md §12",),
)
DEV_MODE = register(
    "LF-DEV-001",
    L,
    "Development mode is on",
    """LANGFLOW_DEV true is for Langflow's own development, not for a server people use.""",
    references=("docs/langflow/settings.md §12",),
)
DEV_API = register(
    "LF-DEV-002",
    M,
    "Developer API endpoints are on",
    """LANGFLOW_DEVELOPER_API_ENABLED true exposes debugging endpoints.""",
    references=("docs/langflow/settings.md §12",),
)
FLOW_KEYS = register(
    "LF-FLOW-001",
    L,
    "API keys typed into flows are stored in the flow JSON",
    """LANGFLOW_REMOVE_API_KEYS false (the default) keeps API keys typed into components in the
    flow data in the database; the seed recommends true (it applies when flows are saved).""",
    references=("docs/langflow/flows.md §2", "seed: Component API keys"),
)


@check
def custom_code(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.auto_login():
        return
    ev = [evidence(ctx.get("AUTO_LOGIN"))]
    if ctx.tier >= 1:
        allow, admin_only = ctx.get("ALLOW_CUSTOM_COMPONENTS"), ctx.get("CUSTOM_COMPONENT_ADMIN_ONLY")
        if not allow.value or admin_only.value:
            return
        ev += [evidence(allow), evidence(admin_only)]
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
    # Each setting where the release has it (fields.SPECS: SSRF protection from 1.7, the
    # others from 1.10 or later), not by tier: 1.7-1.9 have SSRF protection, off by default.
    s = ctx.get("RESTRICT_LOCAL_FILE_ACCESS")
    if ctx.exists(s.field) and multi and not s.value:
        yield Finding(
            EXEC_FILES,
            M,
            "file components may read any file the server can (RESTRICT_LOCAL_FILE_ACCESS off) in multi-user mode",
            [evidence(s)],
            fix="LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=true",
            hint=fix_hint(s, "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=true"),
        )
    for name in ("SSRF_PROTECTION_ENABLED", "CONNECTOR_SSRF_VALIDATION_ENABLED"):
        s = ctx.get(name)
        if ctx.exists(name) and not s.value:
            yield Finding(
                EXEC_SSRF,
                M,
                f"{s.variable} is off: flows can reach internal addresses",
                [evidence(s)],
                fix=f"LANGFLOW_{name}=true",
                hint=fix_hint(s, f"LANGFLOW_{name}=true"),
            )
    s = ctx.get("SSRF_ALLOWED_HOSTS")
    broad = [h.strip() for h in s.value or [] if _broad_network(h.strip())] if ctx.exists(s.field) else []
    if broad:
        yield Finding(
            EXEC_SSRF,
            M,
            f"LANGFLOW_SSRF_ALLOWED_HOSTS exempts very broad ranges from SSRF protection: {', '.join(broad)}",
            [evidence(s)],
            hint="allow single hosts or small ranges only (never 0.0.0.0/0, a /8 or the metadata address)",
        )
    s = ctx.get("RATE_LIMIT_ENABLED")
    if ctx.exists(s.field) and not s.value:
        yield Finding(
            NET_RATE_LIMIT,
            M,
            "login rate limiting is off",
            [evidence(s)],
            fix="LANGFLOW_RATE_LIMIT_ENABLED=true",
            hint=fix_hint(s, "LANGFLOW_RATE_LIMIT_ENABLED=true"),
        )
    s = ctx.get("RATE_LIMIT_TRUST_PROXY")
    if ctx.exists(s.field) and s.value:
        yield Finding(
            NET_TRUST_PROXY,
            L,
            "rate limiting trusts X-Forwarded-For (RATE_LIMIT_TRUST_PROXY on)",
            [evidence(s)],
            fix="LANGFLOW_RATE_LIMIT_TRUST_PROXY=false",
            hint="keep it only behind a proxy that overwrites X-Forwarded-For",
        )
    s = ctx.get("DEVELOPER_API_ENABLED")
    if ctx.exists(s.field) and s.value:
        yield Finding(
            DEV_API,
            M,
            "developer API endpoints are enabled",
            [evidence(s)],
            fix="LANGFLOW_DEVELOPER_API_ENABLED=false",
            hint=fix_hint(s, "LANGFLOW_DEVELOPER_API_ENABLED=false"),
        )
    s = ctx.get("DEV")
    if s.value:
        yield Finding(
            DEV_MODE,
            L,
            "LANGFLOW_DEV is on",
            [evidence(s)],
            fix="LANGFLOW_DEV=false",
            hint=fix_hint(s, "LANGFLOW_DEV=false"),
        )
    s = ctx.get("FALLBACK_TO_ENV_VAR")
    if multi and s.value:
        yield Finding(
            EXEC_ENV_FALLBACK,
            L,
            "in multi-user mode a flow can read any of the server's environment variables by name",
            [evidence(s)],
            fix="LANGFLOW_FALLBACK_TO_ENV_VAR=false",
            hint=fix_hint(s, "LANGFLOW_FALLBACK_TO_ENV_VAR=false") + " unless flows rely on it",
        )
    s = ctx.get("REMOVE_API_KEYS")
    if not s.value:
        yield Finding(
            FLOW_KEYS,
            L,
            "API keys typed into components stay in the flow JSON in the database",
            [evidence(s)],
            fix="LANGFLOW_REMOVE_API_KEYS=true",
            hint=fix_hint(s, "LANGFLOW_REMOVE_API_KEYS=true") + "; store provider keys as global variables instead",
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
