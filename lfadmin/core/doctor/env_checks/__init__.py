"""Checks on the settings alone (no database): docs/langflow/settings.md and the seed page.

Each check is a function of an ``EnvContext`` yielding findings; ``ENV_CHECKS`` runs them in
order. Severities follow §9.2 except where a comment says why not.

One module an area. Importing one registers its check IDs (``register``) and appends its checks
to ``ENV_CHECKS`` (``@check``), so the order of the imports below is the order in which the IDs
are registered, the checks run and their findings are reported: keep it, do not sort it.
"""

from __future__ import annotations

from lfadmin.core.doctor.env_checks._registry import ENV_CHECKS

# isort: off
from lfadmin.core.doctor.env_checks import refused  # noqa: F401
from lfadmin.core.doctor.env_checks import login  # noqa: F401
from lfadmin.core.doctor.env_checks import secret_key  # noqa: F401
from lfadmin.core.doctor.env_checks import cors_cookies  # noqa: F401
from lfadmin.core.doctor.env_checks import server_side  # noqa: F401
from lfadmin.core.doctor.env_checks import environment  # noqa: F401
from lfadmin.core.doctor.env_checks import permissions  # noqa: F401
# isort: on

__all__ = ["ENV_CHECKS"]
