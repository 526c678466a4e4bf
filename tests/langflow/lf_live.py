"""A live Langflow server, asked over HTTP: the proof that a real server serves what lfadmin left.

Used by ``lf_check.py``'s ``startup`` op with ``full_app`` and ``requests`` (in its child process,
a fresh fork of the imported Langflow): ``langflow.main.create_app()`` is served by uvicorn, in
a thread, on a real TCP socket on 127.0.0.1 (an ephemeral port), with its whole lifespan (what
``langflow run`` starts: migrations check, superuser bootstrap, services); each request is then
sent over that socket with httpx, signed in the way the frontend signs in.

A request is ``{"as": USERNAME | null, "method": "GET", "path": "/api/v1/...", "params": {...},
"json": ...}``. ``as`` signs in first (``POST /api/v1/login``, form data, the password from the
op's ``passwords``; once a user) and sends that user's access token as ``Authorization: Bearer``.
The cookies a login sets are dropped, so no request rides on another user's session. Each answer
is ``{"status_code", "json", "seconds"}`` (``"text"`` when the body is not JSON); each login's
status is in ``logins``; ``import_seconds``: importing the app (``langflow.__main__``, ``langflow.main``:
the API and what it pulls in, which the fork server does not preload); ``serve_seconds``: from ``create_app()`` to the server accepting.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from typing import Any


def serve_and_ask(requests: list[dict], passwords: dict[str, str], timeout: float = 600) -> dict[str, Any]:
    """Start the full app on a real socket, send ``requests``, stop it; the report."""
    t0 = time.monotonic()
    import httpx
    import uvicorn

    # The lifespan imports langflow.__main__ at shutdown, which installs signal handlers: it must
    # be imported here, in the main thread, before the server thread runs the app.
    with contextlib.suppress(ImportError):
        import langflow.__main__  # noqa: F401
    from langflow.main import create_app

    imported = time.monotonic() - t0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    t0 = time.monotonic()
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive() or time.monotonic() - t0 > timeout:
            server.should_exit = True  # a lifespan still starting stops at its end
            return {"result": "failed", "exception": "ServerDidNotStart",
                    "message": f"uvicorn on port {port}: {'timed out' if thread.is_alive() else 'exited'}"}
        time.sleep(0.05)
    report: dict[str, Any] = {"result": "ok", "import_seconds": round(imported, 1),
                              "serve_seconds": round(time.monotonic() - t0, 1), "logins": {}}
    tokens: dict[str, str] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            report["health_check"] = answer(client.get("/health_check"))
            report["answers"] = []
            for req in requests:
                headers = {}
                user = req.get("as")
                if user is not None:
                    if user not in tokens:
                        t1 = time.monotonic()
                        resp = client.post("/api/v1/login", data={"username": user, "password": passwords[user]})
                        report["logins"][user] = resp.status_code
                        report["login_seconds"] = round(report.get("login_seconds", 0) + time.monotonic() - t1, 1)
                        client.cookies.clear()
                        if resp.status_code != 200:
                            report["answers"].append({"status_code": None, "login_failed": answer(resp)})
                            continue
                        tokens[user] = resp.json()["access_token"]
                    headers["Authorization"] = f"Bearer {tokens[user]}"
                t1 = time.monotonic()
                resp = client.request(req.get("method", "GET"), req["path"], params=req.get("params"),
                                      json=req.get("json"), headers=headers)
                client.cookies.clear()
                report["answers"].append({**answer(resp), "seconds": round(time.monotonic() - t1, 1)})
    finally:
        t1 = time.monotonic()
        server.should_exit = True
        thread.join(60)
        report["stop_seconds"] = round(time.monotonic() - t1, 1)
    return report


def answer(resp: Any) -> dict[str, Any]:
    try:
        return {"status_code": resp.status_code, "json": resp.json()}
    except json.JSONDecodeError:
        return {"status_code": resp.status_code, "text": resp.text[:2000]}
