"""Running lfadmin the ways a test needs: in-process through ``main()`` (fast, the real error
handling included), as a real ``python -m lfadmin`` process, or with its streams on pseudo-terminals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``lfadmin`` in-process (fast) through ``main()``, the real error handling included."""
    from typer.testing import CliRunner

    from lfadmin.cli import main

    runner = CliRunner()
    code = 0
    saved_argv = sys.argv
    with runner.isolation(input=input, env=env) as streams:
        sys.argv = ["lfadmin", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = saved_argv
            _reset_consoles()
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Result(code, out.decode(), err.decode())


def assert_one_error(r: Result, code: int, *fragments: str) -> None:
    """The run failed with exit ``code`` and said so in one ``Error: ...`` line holding ``fragments``."""
    assert r.exit_code == code, r
    assert r.stdout == "", r
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r
    for f in fragments:
        assert f in r.stderr, r


def _reset_consoles() -> None:
    from lfadmin import output

    output._stderr = None
    output._stdout = None


def run_process(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the real ``python -m lfadmin`` process (for tracebacks, stdin, exit codes as a shell sees)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "lfadmin", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_process_on_ptys(*args: str, env: dict[str, str], stdout_tty: bool = True) -> tuple[int, str, str]:
    """Run ``python -m lfadmin ARGS`` (stdin /dev/null) with stderr, and stdout unless ``stdout_tty``
    is false, each on a pseudo-terminal of its own; (exit code, stdout, stderr).

    The terminals are read while the process runs (a full one would block it); what they show
    is decoded leniently (output may be cut mid-character). Stdout off the terminal goes to a
    file (not a pipe), decoded strictly.
    """
    import pty
    import selectors
    import tempfile

    with tempfile.TemporaryFile() as stdout_file:
        terminals = {name: pty.openpty() for name in ("stdout", "stderr") if stdout_tty or name == "stderr"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "lfadmin", *args],
            stdin=subprocess.DEVNULL,
            stdout=terminals["stdout"][1] if stdout_tty else stdout_file,
            stderr=terminals["stderr"][1],
            env=env,
        )
        shown = dict.fromkeys(terminals, b"")
        sel = selectors.DefaultSelector()
        for name, (leader, follower) in terminals.items():
            os.close(follower)
            sel.register(leader, selectors.EVENT_READ, name)
        while sel.get_map():
            for key, _ in sel.select(timeout=120):
                try:
                    data = os.read(key.fd, 65536)
                except OSError:  # EIO: the child closed its side
                    data = b""
                if data:
                    shown[key.data] += data
                else:
                    sel.unregister(key.fd)
                    os.close(key.fd)
        code = proc.wait(timeout=120)
        stdout_file.seek(0)
        out = shown["stdout"].decode(errors="replace") if stdout_tty else stdout_file.read().decode()
    return code, out, shown["stderr"].decode(errors="replace")
