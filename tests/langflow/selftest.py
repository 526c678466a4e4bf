"""Self-test of lf_check.py against a fixture and its manifest (stdlib only; any python3).

    python3 tests/langflow/selftest.py --venv VENV --manifest tests/fixtures/langflow-1.6.9.json \
        (--db tests/fixtures/langflow-1.6.9.db | --db-url postgresql://...) [--startup]

With --db the fixture is first copied to a temp dir (as the tests do), and the copy is checked to
be byte-identical afterwards unless --startup is given (startup mutates). Exit status 0 = all
expectations met; the failing expectations are printed otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build_checks(m: dict, *, startup: bool) -> list[tuple[dict, dict]]:
    """(check, expected subset of the result) pairs derived from the manifest."""
    users = {u["username"]: u for u in m["users"]}
    keys = {k["name"]: k for k in m["api_keys"]}
    alice = users["alice"]
    flow = m["flows"][0]
    pairs = [
        ({"op": "login", "username": "admin", "password": users["admin"]["password"]}, {"result": "ok"}),
        ({"op": "login", "username": "alice", "password": alice["password"]}, {"result": "ok", "user_id": alice["id"]}),
        ({"op": "login", "username": "alice", "password": "not-her-password"}, {"result": "wrong_password"}),
        ({"op": "login", "username": "bob", "password": users["bob"]["password"]}, {"result": "inactive"}),
        ({"op": "login", "username": "carol", "password": users["carol"]["password"]}, {"result": "ok"}),
        ({"op": "login", "username": "root2", "password": users["root2"]["password"]}, {"result": "ok"}),
        ({"op": "login", "username": "nobody", "password": "x"}, {"result": "no_user"}),
        ({"op": "user", "username": "root2"}, {"exists": True, "is_superuser": True, "is_active": True}),
        ({"op": "user", "username": "carol"}, {"exists": True, "last_login_at": None}),
        ({"op": "user", "username": "nobody"}, {"exists": False}),
        (
            {"op": "api_key", "key": keys["alice-key"]["plaintext"]},
            {"result": "accepted", "username": "alice", "user_active": True, "accepted_for_request": True},
        ),
        (
            {"op": "api_key", "key": keys["admin-key"]["plaintext"]},
            {"result": "accepted", "username": "admin", "accepted_for_request": True},
        ),
        (
            {"op": "api_key", "key": "sk-" + "x" * 43},
            {"result": "rejected", "accepted_for_request": False},
        ),
        (
            {"op": "variable", "username": "alice", "name": "OPENAI_API_KEY"},
            {"result": "ok", "value": "sk-alice-secret-value", "type": "Credential"},
        ),
        (
            {"op": "variable", "username": "alice", "name": "MY_GEN"},
            {"result": "ok", "value": "generic-value-1", "type": "Generic"},
        ),
        (
            {"op": "variable", "username": "admin", "name": "ADMIN_CRED"},
            {"result": "ok", "value": "admin-credential-value"},
        ),
        ({"op": "list_variables", "username": "alice"}, {}),
        ({"op": "list_api_keys", "username": "alice"}, {}),
        ({"op": "folders", "username": "carol"}, {}),
        ({"op": "flow", "flow_id": flow["id"]}, {"exists": True, "name": flow["name"]}),
        ({"op": "user_refs", "user_id": alice["id"]}, {}),
        ({"op": "user_refs", "user_id": "00000000-0000-0000-0000-000000000000"}, {"refs": {}}),
        ({"op": "schema_check"}, {"result": "ok"}),
    ]
    if startup:
        pairs.append(({"op": "startup"}, {"result": "ok"}))
    return pairs


def check_extra(check: dict, result: dict, m: dict) -> list[str]:
    """Expectations that are not a plain subset match."""
    problems = []
    op = check["op"]
    if op == "list_variables":
        names = {v["name"] for v in result.get("variables", [])}
        if not {"OPENAI_API_KEY", "MY_GEN"} <= names:
            problems.append(f"alice's variables missing from listing: {sorted(names)}")
    if op == "list_api_keys" and [k["name"] for k in result.get("api_keys", [])] != ["alice-key"]:
        problems.append("alice should list exactly alice-key")
    if op == "folders" and len(result.get("folders", [])) != 1:
        problems.append("carol should have exactly one (default) folder")
    if op == "flow":
        value = result.get("data")
        for step in m["flows"][0]["secret_field_path"]:
            value = value[step]
        if value != "sk-embedded-literal-123":
            problems.append(f"embedded secret not found in flow data: {value!r}")
    if op == "user_refs" and check["user_id"] == next(u["id"] for u in m["users"] if u["username"] == "alice"):
        refs = result.get("refs", {})
        for col in ("user.id", "apikey.user_id", "variable.user_id", "folder.user_id", "flow.user_id"):
            if not refs.get(col):
                problems.append(f"user_refs: expected a reference in {col}, got {refs}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--venv", required=True)
    parser.add_argument("--manifest", required=True, type=Path)
    parser.add_argument("--db", type=Path, help="SQLite fixture (copied before checking)")
    parser.add_argument("--db-url", help="database URL to check in place (e.g. PostgreSQL)")
    parser.add_argument("--startup", action="store_true", help="also run the (mutating) startup op last")
    args = parser.parse_args()
    m = json.loads(args.manifest.read_text())

    tmp = Path(tempfile.mkdtemp(prefix="lf-selftest-"))
    if args.db:
        copy = tmp / args.db.name
        shutil.copyfile(args.db, copy)
        db_url = f"sqlite:///{copy}"
    else:
        copy = None
        db_url = args.db_url

    pairs = build_checks(m, startup=args.startup)
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            f"{args.venv}/bin/python",
            str(HERE / "lf_check.py"),
            "--db-url",
            db_url,
            "--secret-key",
            m["secret_key"],
            "--config-dir",
            str(tmp / "config"),
        ],
        input=json.dumps([c for c, _ in pairs]),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        print(proc.stderr[-5000:])
        return 1
    results = json.loads(proc.stdout)

    failures = []
    for (check, expected), result in zip(pairs, results, strict=True):
        problems = [] if result.get("ok") else [f"not ok: {result.get('error')}"]
        for key, want in expected.items():
            if result.get(key) != want:
                problems.append(f"{key}: want {want!r}, got {result.get(key)!r}")
        problems += check_extra(check, result, m) if result.get("ok") else []
        if problems:
            failures.append((check, problems, result))

    if copy is not None and not args.startup and copy.read_bytes() != args.db.read_bytes():
        failures.append(({"op": "(copy unchanged)"}, ["lf_check modified the database file"], {}))

    print(f"{len(pairs)} checks, {len(failures)} failed, lf_check took {elapsed:.1f}s")
    for check, problems, result in failures:
        print(f"FAIL {json.dumps(check)}")
        for p in problems:
            print(f"     {p}")
        shown = {k: v for k, v in result.items() if k not in {"data", "traceback"}}
        print(f"     result: {json.dumps(shown)[:800]}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
