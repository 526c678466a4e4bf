"""Who runs a command (``Actor``) and what they presented to prove it (``Credentials``).

Plain data, below the session and the audit trail that carry an actor; the rules that turn
credentials into an actor are ``lfadmin.core.auth``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: UUID | None
    method: str  # "auto-login" | "password" | "api-key" | "first-setup" | "break-glass"
    rule: str  # one sentence: which rule made this the actor
    evidence: str = ""  # what was checked against the database (audited), not what was assumed

    def describe(self) -> str:
        return f"{self.username} ({self.method})"


@dataclass
class Credentials:
    """What the invoker supplied; ``prompt`` asks on a terminal (None when there is none)."""

    username: str | None = None  # --as
    password: str | None = None  # --auth-password-stdin
    api_key: str | None = None  # --api-key-stdin
    prompt: Callable[[str], str] | None = None
