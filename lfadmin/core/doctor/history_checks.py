"""The doctor's run-history check: tables grown far beyond what Langflow itself keeps.

Langflow trims transactions and vertex builds to ``MAX_TRANSACTIONS_TO_KEEP`` /
``MAX_VERTEX_BUILDS_TO_KEEP`` (per flow as it writes, overall at each start) and never trims
messages or traces (docs/langflow/run-history.md §2). Far more rows than that means the trimming
does not run (a server that never restarts, an old release, a hand-made import) or the settings were
raised; either way the database grows until the disk fills (Langflow issues #3258, #4008). One
COUNT per table: the check stays cheap on millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lfadmin.core import run_history as history
from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.model import Evidence, Finding, Severity, register

if TYPE_CHECKING:
    from lfadmin.core.session import Session

FAR = 10  # times Langflow's own limit
UNCAPPED = 100_000  # rows of a table Langflow never trims (messages, traces): lfadmin's yardstick

DB_RUN_HISTORY = register(
    "LF-DB-015",
    Severity.LOW,
    "Run history far beyond Langflow's own limits",
    f"""Transactions or vertex builds more than {FAR} times MAX_TRANSACTIONS_TO_KEEP /
    MAX_VERTEX_BUILDS_TO_KEEP, or more than {UNCAPPED:,} messages or traces (which Langflow never
    trims): the database keeps growing until the disk is full. `lfadmin db prune` deletes old run
    history in batches a running server can write between; `lfadmin db vacuum` returns the space.""",
    scope="database",
    references=("docs/langflow/run-history.md §2",),
)


def run_history(s: Session, ctx: EnvContext) -> Iterator[Finding]:
    counts = history.table_counts(s)
    limits = {t.name: t.langflow_limit for t in history.RUN_TABLES}
    over: dict[str, int] = {}
    settings: list[Evidence] = []
    for table, n in counts.items():
        setting = limits[table]
        cap = _limit(ctx, setting)
        if setting is not None and cap is not None:
            if n > FAR * cap:
                over[table] = n
                settings.append(evidence(ctx.get(setting)))
        elif n > UNCAPPED:
            over[table] = n
    if not over:
        return
    keep = _limit(ctx, "MAX_TRANSACTIONS_TO_KEEP") or 3000
    yield Finding(
        DB_RUN_HISTORY,
        Severity.LOW,
        "run history far beyond Langflow's own limits: " + ", ".join(f"{t} {n:,} rows" for t, n in over.items()),
        [Evidence(f"{t} rows", f"{n:,}", "database") for t, n in over.items()] + settings,
        fix=f"lfadmin db prune --older-than 30d --keep-last {keep} && lfadmin db vacuum",
        hint="try --dry-run first; pick the age and the number kept per flow you need",
        details={"tables": counts},
    )


def _limit(ctx: EnvContext, setting: str | None) -> int | None:
    """The server's value of a limit (None: no such setting, or one Langflow would refuse)."""
    if setting is None or not ctx.exists(setting):
        return None
    try:
        return int(ctx.value(setting))
    except (TypeError, ValueError):
        return None
