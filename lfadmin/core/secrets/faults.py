"""Test-only fault injection: SIGKILL this process at a named point of a rotation.

Honoured only when both variables are set, so no production environment trips it by accident:
``LFADMIN_UNSAFE_TEST_HOOKS=1 LFADMIN_TEST_KILL_AT=<point>`` (tests/test_secrets_rotate.py).
"""

from __future__ import annotations

import os

KILL_POINTS = (  # in the order a rotation passes them
    "journal-written",
    "mid-rewrite",
    "before-commit",
    "after-commit",
    "mid-files",
    "after-env-file",
    "after-key-files",
)


def kill_point(name: str) -> None:
    """Die here, as a crash or ``kill -9`` would, when the test hooks name this point
    (``LFADMIN_TEST_KILL_SIGNAL=INT``: a Ctrl-C here instead)."""
    assert name in KILL_POINTS, name
    if os.environ.get("LFADMIN_UNSAFE_TEST_HOOKS") == "1" and os.environ.get("LFADMIN_TEST_KILL_AT") == name:
        import signal

        ctrl_c = os.environ.get("LFADMIN_TEST_KILL_SIGNAL") == "INT"
        os.kill(os.getpid(), signal.SIGINT if ctrl_c else signal.SIGKILL)
