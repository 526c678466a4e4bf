"""The one error type lfadmin raises, and the exit codes it carries.

Every failure a user can cause ends as one ``Error: ...`` line on stderr and one of these exit
codes (``lfadmin.cli.main`` is the only place that turns an ``LfadminError`` into output).
Code 2 stays Click's own usage error; 141 (stdout closed early, nothing changed) prints nothing.
Each failure is mapped where it happens (the database's errors in ``lfadmin.db``, stored values in
``lfadmin.langflow.codec``, stdout in ``lfadmin.output``): exit 1 is left for bugs. README's
"Exit codes" table lists exactly these codes (tests/test_exit_codes.py holds the two equal).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1  # a bug: unexpected exception (run with --debug for the traceback)
    USAGE = 2  # Click's usage errors (unknown option, missing argument)
    DIFFERENCES = 3  # `user diff` found differences
    INVALID_INPUT = 4  # bad configuration or input: env file, setting, URL, password, expiry ...
    DB_UNAVAILABLE = 5  # database missing, unreachable, locked; a role lacking a privilege
    DB_UNSUPPORTED = 6  # not Langflow's, older than 1.6, unknown newer schema for writes, a column gone
    AUTH_FAILED = 7  # the invoking superuser could not be authenticated
    NOT_FOUND = 8  # no such user / API key / variable
    CONFLICT = 9  # already exists, case-insensitive twin
    REFUSED = 10  # refused for safety or by policy (last superuser, CLI disabled, Langflow running, an older --to)
    UNDECRYPTABLE = 11  # stored secrets that do not decrypt under the secret key
    FINDINGS = 12  # `config doctor`, `upgrade check`: findings at or above --fail-on; `audit verify`: broken chain
    PARTIAL = 13  # `config doctor`, `upgrade check` ran, but could not reach the database part
    OUTPUT_FAILED = 14  # stdout or an --output file could not be written (disk full, permission ...)
    INTERRUPTED = 130  # Ctrl-C (SIGINT): rolled back, unless the message says the change was committed
    BROKEN_PIPE = 141  # stdout closed early (`| head`), nothing changed: quiet, like a SIGPIPE death


class LfadminError(Exception):
    """An error that is the user's to fix. ``str(err)`` is the one line shown after ``Error:``."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InvalidInput(LfadminError):
    exit_code = ExitCode.INVALID_INPUT


class DatabaseUnavailable(LfadminError):
    exit_code = ExitCode.DB_UNAVAILABLE


class UnsupportedDatabase(LfadminError):
    exit_code = ExitCode.DB_UNSUPPORTED


class AuthFailed(LfadminError):
    exit_code = ExitCode.AUTH_FAILED


class NotFound(LfadminError):
    exit_code = ExitCode.NOT_FOUND


class Conflict(LfadminError):
    exit_code = ExitCode.CONFLICT


class Refused(LfadminError):
    exit_code = ExitCode.REFUSED


class Undecryptable(LfadminError):
    exit_code = ExitCode.UNDECRYPTABLE


class OutputFailed(LfadminError):
    """Output could not be written: stdout, or a file named with ``--output``. A closed stdout
    pipe with nothing changed ends quietly (141, see ``lfadmin.cli.main``)."""

    exit_code = ExitCode.OUTPUT_FAILED

    def __init__(self, exc: OSError, where: str = "stdout") -> None:
        import errno

        super().__init__(f"cannot write to {where} ({exc.strerror or type(exc).__name__})")
        self.broken_pipe = where == "stdout" and exc.errno == errno.EPIPE
        if self.broken_pipe:
            self.exit_code = ExitCode.BROKEN_PIPE


class Interrupted(LfadminError):
    """Ctrl-C. Raised by ``lfadmin.cli.main``'s SIGINT handler instead of KeyboardInterrupt,
    which Typer turns into a silent exit 130: the message must say whether anything changed."""

    exit_code = ExitCode.INTERRUPTED
