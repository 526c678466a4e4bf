"""``lfadmin upgrade check``: what breaks or changes when this database and these settings meet
a newer Langflow - asked *before* the new release is installed, because several of its
migrations abort half-way (LF-UPG-001) or its first start deletes data (LF-UPG-006).

The rules are docs/langflow/upgrades.md, one ``Rule`` each with the ID, severity and release
window given there (every rule cites the Langflow code it comes from on that page). ``check`` is
the one core call: it reads the settings the way every lfadmin command does (the environment,
``--env-file`` over it), detects the source release from the database, and returns a report that
reuses the doctor's ``Finding``/``Evidence``/``Report`` - so ``--fail-on``, exit 12 (findings at
or above it) and 13 (the database part could not run) mean what they mean for the doctor.

Severities are upgrades.md's words mapped onto the doctor's scale: error = high, warning =
medium, info = info (``LABELS``). It never writes, and authenticates nobody
(``authenticate=False``, as the doctor): it reports no stored value, only names, counts and
where settings come from, and the operator who most needs it is the one whose login the
upgrade is about to change (AUTO_LOGIN, the default superuser).

The package: ``rules`` (the rules as data, the jump), ``model`` (report, settings, findings),
``settings_rules``, ``db_rules`` and ``value_rules`` (the rules applied), ``check`` (the call);
``repair`` is ``upgrade repair`` (after the upgrade, on rotation's re-encryption).
"""

from lfadmin.core.upgrade.check import check
from lfadmin.core.upgrade.model import UpgradeReport
from lfadmin.core.upgrade.rules import FAIL_ON, LABELS, RULES, label, parse_target, rules

__all__ = ["FAIL_ON", "LABELS", "RULES", "UpgradeReport", "check", "label", "parse_target", "rules"]
