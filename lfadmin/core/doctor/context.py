"""What a settings check reads: Langflow's settings for one release, plus what the database part found.

The settings themselves - per-release defaults, the second pass, parsing, refused values - are
``lfadmin.langflow.settings.ReleaseSettings``, the model the rest of lfadmin reads too. The doctor
adds only its own: the database part's ``facts`` and a setting shown as a finding's ``Evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lfadmin.core.doctor.model import Evidence
from lfadmin.langflow.settings import ReleaseSettings, Setting


@dataclass
class EnvContext(ReleaseSettings):
    facts: dict[str, Any] = field(default_factory=dict)  # from the database part, when it ran


def evidence(s: Setting) -> Evidence:
    """A setting as a finding shows it: its variable, value (secrets masked) and where it came from."""
    if s.source is None:
        return Evidence(s.variable, s.shown(), f"default (Langflow {s.version_label})")
    origin = s.source.origin
    return Evidence(s.variable, s.shown(), str(origin), origin.path, origin.line)
