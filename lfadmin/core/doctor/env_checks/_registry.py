"""The registry of settings checks: ``@check`` appends a check to ``ENV_CHECKS``, the order they run in.

Also what every check module writes its findings with: the severity shorthands and ``fix_hint``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lfadmin.core.doctor.context import EnvContext
from lfadmin.core.doctor.model import Finding, Severity
from lfadmin.langflow.settings import Setting

C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
Checker = Callable[[EnvContext], Iterator[Finding]]
ENV_CHECKS: list[Checker] = []


def check(fn: Checker) -> Checker:
    ENV_CHECKS.append(fn)
    return fn


def fix_hint(s: Setting, line: str) -> str:
    """Where to write ``line`` so that it replaces what sets ``s`` now."""
    if s.source is not None and s.source.origin.kind == "file":
        return f"replace {s.source.origin} with `{line}`"
    if s.source is not None:
        return f"set `{line}` in the server's .env (it is now set in the {s.source.origin} as {s.source.name})"
    return f"add `{line}` to the server's .env"
