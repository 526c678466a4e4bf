"""What the tests share, by concern; test modules import helpers from here, never from each other
or from conftest (which holds only fixtures and hooks).

- ``tests.support.cli``: run lfadmin in-process or as a process, on pseudo-terminals (``run``, ``Result``)
- ``tests.support.databases``: fresh copies of the databases real Langflow made, SQLite and
  PostgreSQL (``LangflowDB``, ``make_db``, the PostgreSQL copy pool)
- ``tests.support.langflow``: real Langflow, one fork server a release (``langflow_check``)
- ``tests.support.core``: core as a library (``make_target``: a ``Target`` on a fixture copy)
- ``tests.support.rows``: values as each backend stores them (``uid``, ``flag``, ``audit_records``)
- ``tests.support.secrets_seed``: a value in every encrypted store, and reading them all back
- ``tests.support.doctor``: running ``config doctor`` and picking its findings
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def process_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this machine: what a session left behind when it was
    killed (its end never ran) is named after its process, and swept by the next session."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process
        return False
    return False
