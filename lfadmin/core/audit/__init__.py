"""lfadmin's audit trail (docs/audit.md): every command that changes something leaves one
hash-chained JSON line beside Langflow's ``secret_key``.

``trail``: the file (where it lives, the chained append under a lock, ``verify``); ``record``: what
a command's record holds and when ``Target.session`` writes it; ``listing``: ``audit list`` and
``audit verify``, merged with Langflow's own audit tables (``langflow_rows``). The names most of
core uses are here.
"""

from lfadmin.core.audit.record import actor_fields, secret_revealed, superuser_granted
from lfadmin.core.audit.trail import (
    ENV_VAR,
    FILE_NAME,
    AuditUnavailable,
    ChainBroken,
    Location,
    location,
    read,
)

__all__ = [
    "ENV_VAR",
    "FILE_NAME",
    "AuditUnavailable",
    "ChainBroken",
    "Location",
    "actor_fields",
    "location",
    "read",
    "secret_revealed",
    "superuser_granted",
]
