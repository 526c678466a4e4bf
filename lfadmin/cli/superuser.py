"""``lfadmin superuser``: Typer only (issue #4)."""

from lfadmin.cli.common import common


@common
def superuser() -> None:
    """Create a superuser (the first one needs no authentication)."""
    raise NotImplementedError
