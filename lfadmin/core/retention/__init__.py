"""``lfadmin db prune`` / ``db vacuum``: keep Langflow's run history from filling the disk.

Langflow writes a row per chat message, per component run (``transaction``), per vertex build and,
from 1.8, per trace and span; it caps transactions and builds (``MAX_TRANSACTIONS_TO_KEEP``,
``MAX_VERTEX_BUILDS_TO_KEEP``) but never messages or traces (docs/langflow/run-history.md).
``prune`` deletes what is older than a cutoff, optionally keeping the newest N rows per flow,
in batches (``batches``: why each batch is its own transaction, docs/retention.md §2);
``vacuum`` gives the freed pages back (``vacuum``).

The rules: the invoker is an authenticated superuser (read session first, where the doomed rows
are listed); ``dry_run`` counts per table and changes nothing; a failure rolls back only the batch
it hit, and a rerun continues (the cutoff is computed anew, the rows left are still older).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lfadmin.core import run_history as history
from lfadmin.core.cascade import Graph
from lfadmin.core.retention.batches import NO_PAUSE, Pacing, Tally, delete_in_batches
from lfadmin.core.retention.vacuum import Vacuumed, vacuum
from lfadmin.core.session import Progress
from lfadmin.core.target import Target
from lfadmin.errors import InvalidInput
from lfadmin.langflow.codec import iso, utcnow

__all__ = ["Pacing", "Pruned", "Vacuumed", "parse_duration", "prune", "vacuum"]

_DURATION = re.compile(r"([0-9]+)([hdw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_LONGEST = timedelta(days=100 * 365)


def parse_duration(text: str) -> timedelta:
    """``12h``, ``30d``, ``2w``: a whole number of hours, days or weeks (``0d``: up to now)."""
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        raise InvalidInput(
            f"--older-than {text!r} is not a duration: write a whole number of hours, days or weeks, "
            "e.g. 12h, 30d, 2w"
        )
    n = int(found[1])
    if n > _LONGEST // _UNITS[found[2]]:
        raise InvalidInput(f"--older-than {text!r} is more than 100 years")
    return n * _UNITS[found[2]]


@dataclass(frozen=True)
class Pruned:
    """What a prune deleted (or, dry run, would delete)."""

    dry_run: bool
    older_than: str
    cutoff: datetime
    keep_last: int | None
    rows: dict[str, int]  # table -> rows, every run-history table present (and the rows pointing at them)
    batches: int
    seconds: float
    longest_lock: float  # seconds one batch held the write lock
    longest_wait: float  # seconds one batch waited for it

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "older_than": self.older_than,
            "cutoff": iso(self.cutoff),
            "keep_last": self.keep_last,
            "tables": self.rows,
            "total": self.total,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "longest_lock_ms": round(self.longest_lock * 1000, 1),
            "longest_wait_ms": round(self.longest_wait * 1000, 1),
        }


def prune(
    target: Target,
    older_than: str,
    *,
    keep_last: int | None = None,
    dry_run: bool = False,
    pacing: Pacing | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Pruned:
    """Delete run history older than ``older_than`` (``parse_duration``), keeping the newest
    ``keep_last`` rows of each flow in each table; ``dry_run``: count only."""
    age = parse_duration(older_than)
    if keep_last is not None and keep_last < 0:
        raise InvalidInput(f"--keep-last {keep_last}: must be 0 or more")
    started = time.monotonic()
    cutoff = (now or utcnow()) - age
    work: list[tuple[history.Selection, list[Any]]] = []
    rows: dict[str, int] = {}
    with target.session(write=False) as s:  # authenticates; reads in one snapshot
        if not dry_run:
            target.check_write(s.schema)
        graph = Graph(s)
        for table in history.present(s):
            sel = history.select(s, graph, table, keep_last)
            if dry_run:
                for name, n in history.counts(s, sel, cutoff, keep_last).items():
                    rows[name] = rows.get(name, 0) + n
            else:
                rows.setdefault(table.name, 0)
                for step in sel.children:
                        rows.setdefault(step.table, 0)
                work.append((sel, history.doomed_keys(s, sel, cutoff, keep_last)))
        backend, actor, release = s.backend, s.actor, s.schema.release_label
        bind = {"cutoff": history.params(s, cutoff, keep_last)["cutoff"]}
    tally = Tally(rows)
    if not dry_run:
        pace = pacing or (NO_PAUSE if backend == "postgresql" else Pacing())
        what = f"run history older than {older_than}" + ("" if keep_last is None else f", keeping the last {keep_last}")
        # The batches commit one by one (docs/retention.md): one record for the run, written
        # when it ends, with the rows deleted - also when a batch fails after others committed.
        with target.audited(what, actor=actor, release=release) as note:
            note.details["rows"] = tally.rows
            for sel, keys in work:
                report = None
                if progress is not None and keys:
                    report = _reporter(progress, sel.table.name, len(keys))
                delete_in_batches(target.db, sel.steps, keys, tally, pace, bind=bind,
                                  on_commit=target.on_commit, progress=report)
        target.db.dispose()
    return Pruned(
        dry_run, older_than, cutoff, keep_last, dict(tally.rows), tally.batches,
        time.monotonic() - started, tally.longest_hold, tally.longest_wait,
    )


def _reporter(progress: Progress, what: str, total: int) -> Callable[[int], None]:
    progress(what, 0, total)
    return lambda done: progress(what, done, total)
