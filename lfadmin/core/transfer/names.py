"""Langflow's rules for a name that is already taken, one per kind of row.

Langflow keeps flow names, endpoint names, project names and file names unique per owner and,
when an import or upload brings one that is taken, renames the newcomer instead of refusing it
(docs/langflow/ownership.md §3). A transfer is such an arrival, so it renames the same way: the
same suffix, the same number. Variables have no such rule in Langflow (its API refuses a taken
name); they get the flow rule. Each function takes the name and every name the new owner holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

Rule = Callable[[str, Collection[str]], str]


def flow_name(name: str, taken: Collection[str]) -> str:
    """``name (N)``, N one more than the highest such suffix (1.13.0
    ``langflow/api/v1/flows_helpers.py`` ``_deduplicate_flow_name``; 1.6.9 ``api/v1/flows.py``)."""
    pattern = re.compile(rf"^{re.escape(name)} \((\d+)\)$")
    numbers = [int(m.group(1)) for t in taken if (m := pattern.match(t))]
    return f"{name} ({max(numbers) + 1})" if numbers else f"{name} (1)"


def endpoint_name(name: str, taken: Collection[str]) -> str:
    """``name-N`` after the highest number ending a ``name-...`` endpoint (``_deduplicate_endpoint_name``)."""
    numbers = []
    for t in taken:
        if t.startswith(f"{name}-"):
            try:
                numbers.append(int(t.split("-")[-1]))
            except ValueError:
                continue
    return f"{name}-{max(numbers) + 1 if numbers else 1}"


def project_name(name: str, taken: Collection[str]) -> str:
    """``name (N)``, N one more than any number in parentheses ending a project named
    ``name...`` (1.13.0 ``langflow/api/v1/projects.py`` project creation; 1.6.9 the same)."""
    numbers = []
    for t in taken:
        if t.startswith(name) and "(" in t:
            try:
                numbers.append(int(t.split("(")[-1].split(")")[0]))
            except ValueError:
                continue
    return f"{name} ({max(numbers) + 1})" if numbers else f"{name} (1)"


def file_name(name: str, taken: Collection[str]) -> str:
    """``name (N)``, N one more than the highest ``(N)`` ending a file named ``name...``
    (1.6.9 ``langflow/api/v2/files.py`` upload; ``file.name`` holds no extension)."""
    suffix = re.compile(r"\((\d+)\)(?=\.\w+$|$)")
    counts = [int(m.group(1)) for t in taken if t.startswith(name) and (m := suffix.search(t))]
    return f"{name} ({(max(counts) if counts else 0) + 1})"


# (table, column) -> its rule; a (user, column) unique constraint not named here is refused.
RULES: dict[tuple[str, str], Rule] = {
    ("flow", "name"): flow_name,
    ("flow", "endpoint_name"): endpoint_name,
    ("folder", "name"): project_name,
    ("variable", "name"): flow_name,
    ("file", "name"): file_name,
}


def resolve(rule: Rule, name: str, taken: Collection[str]) -> str:
    """The rule's name; applied again in the rare case its result is taken too (Langflow's LIKE
    is case-insensitive on SQLite and sees names our prefix test does not)."""
    new = rule(name, taken)
    while new in taken:
        new = rule(new, taken)
    return new
