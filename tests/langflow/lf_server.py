"""A fork server for the real-Langflow scripts: import Langflow once, run each script in a fresh fork.

Importing Langflow takes 15-25 s; the interoperability tests ask it dozens of questions. This
process (run with a Langflow venv's python) imports Langflow's heavy modules once, never builds
a service or an event loop, then listens on a UNIX socket. Each connection is one run of
``lf_check.py`` or ``lf_secrets.py``: the server forks, and the child, which starts from the
pristine imported state, takes the request's environment, argv and stdin, runs the script as
``__main__`` with fd 1 and fd 2 captured, and answers with its exit code, stdout and stderr.
A script that needs a fresh Langflow process of its own (``lf_check``'s ``startup`` op) asks the
same socket (``LF_SERVER_SOCKET`` is set in each child), so it too skips the import.

    <venv>/bin/python tests/langflow/lf_server.py SOCKET_PATH

Protocol: the client sends one JSON object ``{"script", "argv", "env", "stdin"}``, shuts down
its write side, and reads one JSON object ``{"rc", "stdout", "stderr"}``. The server prints
``ready`` on stdout once Langflow is imported; closing its stdin stops it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = {"lf_check": HERE / "lf_check.py", "lf_secrets": HERE / "lf_secrets.py"}


def preload() -> None:
    """Import what the scripts import, without building any of Langflow's services.

    1.10+ import every service module when registering the service factories (about 5 s);
    registering builds nothing (services are made on first use, in the forked child, from its
    environment), and the child registers again as lf_check does in a fresh process.
    """
    with contextlib.suppress(ImportError):
        from langflow.services.utils import register_all_service_factories

        register_all_service_factories()
    import alembic.command  # noqa: F401  (schema_check, startup)
    import langflow.services.auth.utils
    import langflow.services.database.models
    import langflow.services.database.models.api_key.crud
    import langflow.services.database.models.user.crud
    import langflow.services.database.service
    import langflow.services.deps  # noqa: F401
    import sqlmodel.ext.asyncio.session  # noqa: F401


def request(
    sock_path: str, script: str, argv: list[str], env: dict[str, str], stdin: str, timeout: int = 600
) -> dict[str, Any]:
    """Client side (also used by the scripts themselves): one run, its exit code and output.

    A run still going after ``timeout`` seconds is killed (SIGALRM in the child), and answers
    as one that died."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(sock_path)
        req = {"script": script, "argv": argv, "env": env, "stdin": stdin, "timeout": timeout}
        conn.sendall(json.dumps(req).encode())
        conn.shutdown(socket.SHUT_WR)
        data = b"".join(iter(lambda: conn.recv(1 << 16), b""))
    if not data:
        return {"rc": -1, "stdout": "", "stderr": "lf_server: the forked run died (or timed out) without answering"}
    result: dict[str, Any] = json.loads(data)
    return result


def serve_one(conn: socket.socket, sock_path: str) -> None:
    """In the forked child: run one script and answer. Never returns."""
    rc = 1
    try:
        data = b"".join(iter(lambda: conn.recv(1 << 16), b""))
        req = json.loads(data)
        signal.alarm(int(req.get("timeout", 600)))  # default action: the hung run dies, the client hears EOF
        os.environ.clear()
        os.environ.update(req["env"])
        os.environ["LF_SERVER_SOCKET"] = sock_path
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdin = io.StringIO(req["stdin"])
            script = SCRIPTS[req["script"]]
            sys.argv = [str(script), *req["argv"]]
            try:
                runpy.run_path(str(script), run_name="__main__")
                rc = 0
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:
                import traceback

                traceback.print_exc()
                rc = 1
            sys.stdout.flush()
            sys.stderr.flush()
            out.seek(0)
            err.seek(0)
            answer = {"rc": rc, "stdout": out.read().decode(errors="replace"), "stderr": err.read().decode(errors="replace")}
        conn.sendall(json.dumps(answer).encode())
    finally:
        with contextlib.suppress(Exception):
            conn.close()
        os._exit(0)


def main() -> int:
    sock_path = sys.argv[1]
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries "ready" and nothing else
        preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sock_path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(16)

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(sock_path)
        os._exit(0)

    print("ready", flush=True)
    # The watcher thread only blocks on a read: forking while it does is safe for the child.
    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the child waits for its own subprocesses
            serve_one(conn, sock_path)
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
