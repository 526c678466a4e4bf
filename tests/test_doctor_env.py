"""`lfadmin config doctor` on settings alone: one trigger and one non-trigger per check.

Every case starts from the seed page's "authentication enabled" .env with real values filled in
(``BASE``), adds the lines under test after it, and asserts the exact finding: ID, severity and
the env-file line of its first evidence. The database part is off (``--no-database``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run
from tests.support.doctor import BASE, KEY, NEXT, STRONG, doctor, found


def line_of(finding: dict[str, Any]) -> int | None:
    for ev in finding["evidence"]:
        if ev["line"] is not None:
            return int(ev["line"])
    return None


# (check id, release, lines added to BASE that trigger it, severity, line of the evidence,
#  lines added to BASE that do not trigger it)
CASES = [
    ("LF-CONF-001", "1.13.0", "LANGFLOW_AUTO_LOGIN=enabled", "critical", NEXT, "LANGFLOW_AUTO_LOGIN=off"),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_NEW_USER_IS_ACTIVE=", "critical", NEXT, "LANGFLOW_NEW_USER_IS_ACTIVE=0"),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_REFRESH_SAME_SITE=None", "critical", NEXT, "LANGFLOW_REFRESH_SAME_SITE=strict"),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_API_KEY_SOURCE=ENV", "critical", NEXT, "LANGFLOW_API_KEY_SOURCE=db"),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_ALGORITHM=HS512", "critical", NEXT, "LANGFLOW_ALGORITHM=RS256"),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_DB_CONNECTION_SETTINGS=pool_size=5", "critical", NEXT,
     'LANGFLOW_DB_CONNECTION_SETTINGS={"pool_size": 5}'),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_PORT=eighty", "critical", NEXT, "LANGFLOW_PORT=8080"),
    ("LF-CONF-001", "1.13.0", "LANGFLOW_EXTERNAL_AUTH_JWKS_URL=http://idp/jwks", "critical", NEXT,
     "LANGFLOW_EXTERNAL_AUTH_JWKS_URL=https://idp/jwks"),
    ("LF-CONF-002", "1.13.0", "LANGFLOW_DATABASE_URL=postgres://lf:pw@db/langflow", "critical", NEXT,
     "LANGFLOW_DATABASE_URL=postgresql://lf:pw@db/langflow"),
    ("LF-CONF-003", "1.13.0", "LANGFLOW_SUPERUSER_PASSWORD=", "critical", 1, ""),
    ("LF-CONF-003", "1.10.3", "LANGFLOW_SUPERUSER_PASSWORD=langflow", "critical", 1, ""),
    ("LF-CONF-004", "1.13.0", "", "low", None, "LANGFLOW_SAVE_DB_IN_CONFIG_DIR=true"),
    ("LF-AUTH-001", "1.13.0", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_HOST=0.0.0.0", "critical", NEXT, "LANGFLOW_HOST=0.0.0.0"),
    ("LF-AUTH-001", "1.13.0", "LANGFLOW_AUTO_LOGIN=true", "high", NEXT, ""),
    ("LF-AUTH-001", "1.13.0", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_CORS_ORIGINS=https://lf.example.com", "medium", NEXT, ""),
    ("LF-AUTH-002", "1.13.0", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_SKIP_AUTH_AUTO_LOGIN=true\nLANGFLOW_HOST=10.0.0.5",
     "critical", NEXT + 1, "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_HOST=10.0.0.5"),
    ("LF-AUTH-002", "1.6.9", "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_SKIP_AUTH_AUTO_LOGIN=true", "high", NEXT + 1, ""),
    ("LF-AUTH-003", "1.6.9", "LANGFLOW_SUPERUSER_PASSWORD=", "critical", 1, ""),
    ("LF-AUTH-003", "1.6.9", "LANGFLOW_SUPERUSER_PASSWORD=langflow", "critical", 1, ""),
    ("LF-AUTH-004", "1.13.0", "LANGFLOW_SUPERUSER_PASSWORD=securepassword", "high", NEXT, ""),
    ("LF-AUTH-004", "1.13.0", "LANGFLOW_SUPERUSER_PASSWORD=short-pw", "high", NEXT, ""),
    ("LF-AUTH-005", "1.13.0", "LANGFLOW_NEW_USER_IS_ACTIVE=true", "high", NEXT,
     "LANGFLOW_NEW_USER_IS_ACTIVE=true\nLANGFLOW_ENABLE_SIGNUP=false"),
    ("LF-AUTH-005", "1.6.9", "LANGFLOW_NEW_USER_IS_ACTIVE=true", "high", NEXT, ""),
    ("LF-AUTH-006", "1.13.0", "", "low", None, "LANGFLOW_ENABLE_SIGNUP=false"),
    ("LF-AUTH-007", "1.13.0", "LANGFLOW_ENABLE_SUPERUSER_CLI=true", "low", NEXT, ""),
    ("LF-AUTH-008", "1.13.0", "LANGFLOW_WEBHOOK_AUTH_ENABLE=false", "medium", NEXT, "LANGFLOW_WEBHOOK_AUTH_ENABLE=true"),
    ("LF-AUTH-008", "1.6.9", "", "medium", None, None),  # 1.6 never authenticates webhooks
    ("LF-AUTH-009", "1.13.0", "LANGFLOW_API_KEY_SOURCE=env\nLANGFLOW_API_KEY=sk-short", "high", NEXT,
     "LANGFLOW_API_KEY_SOURCE=env\nLANGFLOW_API_KEY=sk-" + "x" * 43),
    ("LF-AUTH-010", "1.13.0", "LANGFLOW_EXTERNAL_AUTH_ENABLED=true\nLANGFLOW_EXTERNAL_AUTH_TRUSTED_JWT_DECODE=true",
     "critical", NEXT, "LANGFLOW_EXTERNAL_AUTH_ENABLED=true"),
    ("LF-AUTH-011", "1.6.9", "LANGFLOW_ALGORITHM=none", "high", NEXT, "LANGFLOW_ALGORITHM=HS256"),
    ("LF-AUTH-012", "1.13.0", "LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS=31536000", "low", NEXT,
     "LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS=3600"),
    ("LF-AUTH-013", "1.6.9", "", "low", 3, None),
    ("LF-AUTH-013", "1.13.0", "", "info", 3, None),  # required at every start from 1.10
    ("LF-SECRET-001", "1.13.0", "LANGFLOW_SECRET_KEY=", "medium", NEXT, ""),
    ("LF-SECRET-002", "1.13.0", "LANGFLOW_SECRET_KEY=short-secret", "high", NEXT, ""),
    ("LF-SECRET-003", "1.13.0", "LANGFLOW_SECRET_KEY=" + "ab" * 32, "high", NEXT, ""),
    ("LF-SECRET-003", "1.6.9", "LANGFLOW_SECRET_KEY=a-long-passphrase-that-is-not-base64-at-all-ok", "high", NEXT, ""),
    ("LF-CORS-001", "1.6.9", "", "high", None, "LANGFLOW_CORS_ORIGINS=https://lf.example.com"),
    ("LF-CORS-001", "1.13.0", "", "info", None, "LANGFLOW_CORS_ALLOW_CREDENTIALS=false"),
    ("LF-CORS-002", "1.13.0", "LANGFLOW_CORS_ALLOW_HEADERS=Content-Type,Authorization", "low", NEXT,
     'LANGFLOW_CORS_ALLOW_HEADERS=["Content-Type","Authorization"]'),
    ("LF-COOKIE-001", "1.13.0", "LANGFLOW_ACCESS_HTTPONLY=false", "medium", NEXT, ""),
    ("LF-COOKIE-001", "1.6.9", "", "medium", None, "LANGFLOW_ACCESS_HTTPONLY=true"),
    ("LF-COOKIE-002", "1.13.0", "LANGFLOW_HOST=0.0.0.0", "medium", NEXT,
     "LANGFLOW_HOST=0.0.0.0\nLANGFLOW_SSL_CERT_FILE=/tls/c.pem\nLANGFLOW_SSL_KEY_FILE=/tls/k.pem"),
    ("LF-COOKIE-003", "1.13.0", "LANGFLOW_REFRESH_SAME_SITE=none", "low", NEXT, ""),
    ("LF-EXEC-001", "1.13.0", "", "medium", 1, "LANGFLOW_CUSTOM_COMPONENT_ADMIN_ONLY=true"),
    ("LF-EXEC-001", "1.13.0", "LANGFLOW_NEW_USER_IS_ACTIVE=true", "high", 1, "LANGFLOW_ALLOW_CUSTOM_COMPONENTS=false"),
    ("LF-EXEC-002", "1.10.3", "", "medium", None, "LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS=true"),
    ("LF-EXEC-003", "1.13.0", "LANGFLOW_SSRF_PROTECTION_ENABLED=false", "medium", NEXT, ""),
    ("LF-EXEC-003", "1.13.0", "LANGFLOW_SSRF_ALLOWED_HOSTS=api.internal, 10.0.0.0/8", "medium", NEXT,
     "LANGFLOW_SSRF_ALLOWED_HOSTS=api.internal,10.1.2.3"),
    ("LF-EXEC-004", "1.13.0", "", "low", None, "LANGFLOW_FALLBACK_TO_ENV_VAR=false"),
    ("LF-NET-001", "1.13.0", "LANGFLOW_RATE_LIMIT_ENABLED=false", "medium", NEXT, ""),
    ("LF-NET-002", "1.13.0", "LANGFLOW_RATE_LIMIT_TRUST_PROXY=true", "low", NEXT, ""),
    ("LF-DEV-001", "1.13.0", "LANGFLOW_DEV=true", "low", NEXT, "LANGFLOW_DEV=false"),
    ("LF-DEV-002", "1.13.0", "LANGFLOW_DEVELOPER_API_ENABLED=true", "medium", NEXT, ""),
    ("LF-FLOW-001", "1.13.0", "", "low", None, "LANGFLOW_REMOVE_API_KEYS=true"),
    ("LF-ENV-001", "1.13.0", "AUTO_LOGIN=true", "medium", NEXT, "LANGFLOW_AUTO_LOGIN=false"),
    ("LF-ENV-002", "1.13.0", "langflow_database_url=sqlite:////srv/lf.db", "medium", NEXT, ""),
]


@pytest.mark.parametrize(
    ("check_id", "version", "trigger", "severity", "line", "clean"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_check(tmp_path: Path, check_id: str, version: str, trigger: str, severity: str,
               line: int | None, clean: str | None) -> None:
    res = doctor(tmp_path, BASE + trigger + "\n", version=version)
    assert res.exit_code in (0, 12), res
    hits = found(res, check_id)
    assert hits, f"{check_id} not reported: {[f['id'] for f in res.json['findings']]}"
    assert hits[0]["severity"] == severity
    assert line_of(hits[0]) == line
    if line is not None:
        assert [e["path"] for e in hits[0]["evidence"] if e["line"] == line] == [str(tmp_path / ".env")]
    if clean is not None:
        res = doctor(tmp_path, BASE + clean + "\n", version=version)
        assert not found(res, check_id), found(res, check_id)


def test_checks_run_area_by_area_in_a_fixed_order() -> None:
    """env_checks/__init__.py imports its area modules in this order on purpose; sorting them would reorder the checks."""
    from lfadmin.core.doctor.env_checks import ENV_CHECKS

    areas = [fn.__module__.rsplit(".", 1)[1] for fn in ENV_CHECKS]
    assert list(dict.fromkeys(areas)) == [
        "refused", "login", "secret_key", "cors_cookies", "server_side", "environment", "permissions",
    ]


def test_secret_key_file_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lfadmin.core.doctor.env_checks import secret_key

    cfg = tmp_path / "cfg"
    cfg.mkdir()
    no_key = BASE.replace(f"LANGFLOW_SECRET_KEY={KEY}\n", "") + f"LANGFLOW_CONFIG_DIR={cfg}\n"
    (cfg / "secret_key").write_text(KEY + "\n")  # written with echo
    (cfg / "secret_key").chmod(0o600)
    res = doctor(tmp_path, no_key)
    assert [f["severity"] for f in found(res, "LF-SECRET-004")] == ["high"]
    (unpinned,) = found(res, "LF-SECRET-001")  # a config dir under /tmp does not survive
    assert unpinned["severity"] == "medium" and "(a temporary directory)" in unpinned["message"]
    monkeypatch.setattr(secret_key, "EPHEMERAL_DIRS", ("/nowhere/",))
    assert [f["severity"] for f in found(doctor(tmp_path, no_key), "LF-SECRET-001")] == ["low"]  # explicit dir
    assert not found(res, "LF-SECRET-003")
    assert [f["severity"] for f in found(doctor(tmp_path, no_key, version="1.6.9"), "LF-SECRET-004")] == ["low"]
    # the file and the variable disagree
    (cfg / "secret_key").write_text("x" * 43)
    res = doctor(tmp_path, BASE + f"LANGFLOW_CONFIG_DIR={cfg}\n")
    assert [f["severity"] for f in found(res, "LF-SECRET-005")] == ["medium"]
    (cfg / "secret_key").write_text(KEY)
    assert not found(doctor(tmp_path, BASE + f"LANGFLOW_CONFIG_DIR={cfg}\n"), "LF-SECRET-005")


def test_file_permissions(tmp_path: Path) -> None:
    res = doctor(tmp_path, BASE, mode=0o644)
    (hit,) = found(res, "LF-FILE-001")
    assert hit["severity"] == "high"
    assert "LANGFLOW_SUPERUSER_PASSWORD" in hit["message"] and "0644" in hit["message"]
    assert not found(doctor(tmp_path, BASE, mode=0o600), "LF-FILE-001")
    assert not found(doctor(tmp_path, "LANGFLOW_HOST=localhost\n", mode=0o644), "LF-FILE-001")  # no secrets

    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "secret_key").write_text(KEY)
    (cfg / "secret_key").chmod(0o644)
    db = tmp_path / "langflow.db"
    db.write_bytes(b"")
    db.chmod(0o664)
    res = doctor(tmp_path, BASE + f"LANGFLOW_CONFIG_DIR={cfg}\nLANGFLOW_DATABASE_URL=sqlite:///{db}\n")
    assert [f["severity"] for f in found(res, "LF-FILE-002")] == ["high"]
    assert [f["severity"] for f in found(res, "LF-FILE-003")] == ["high"]
    (cfg / "secret_key").chmod(0o600)
    db.chmod(0o600)
    res = doctor(tmp_path, BASE + f"LANGFLOW_CONFIG_DIR={cfg}\nLANGFLOW_DATABASE_URL=sqlite:///{db}\n")
    assert not found(res, "LF-FILE-002") and not found(res, "LF-FILE-003")


def test_secrets_are_masked(tmp_path: Path) -> None:
    res = doctor(tmp_path, BASE + "LANGFLOW_DATABASE_URL=postgres://lf:db-pass-987@db/langflow\n", mode=0o644)
    assert STRONG not in res.stdout and KEY not in res.stdout and "db-pass-987" not in res.stdout
    (hit,) = found(res, "LF-CONF-002")
    assert hit["fix"] == "LANGFLOW_DATABASE_URL=postgresql://lf:***@db/langflow"


def test_unprefixed_names_are_what_the_server_sees(tmp_path: Path) -> None:
    """docs/langflow/settings.md §4: `AUTO_LOGIN=true` alone turns auto-login on for `langflow run` (E2)."""
    res = doctor(tmp_path, BASE + "AUTO_LOGIN=true\n")
    (env,) = found(res, "LF-ENV-001")
    assert "shadows LANGFLOW_AUTO_LOGIN with a different value" in env["message"]
    (auto,) = found(res, "LF-AUTH-001")
    assert auto["evidence"][0]["variable"] == "AUTO_LOGIN" and auto["evidence"][0]["line"] == NEXT
    # The later one in environ order wins. A variable keeps the position where it was first
    # set (os.environ is a dict; load_dotenv assigns in file order), so here LANGFLOW_AUTO_LOGIN
    # (line 2) comes after AUTO_LOGIN (line 1) and wins.
    res = doctor(tmp_path, "AUTO_LOGIN=true\n" + BASE)
    assert not found(res, "LF-AUTH-001")
    assert found(res, "LF-ENV-001")


def test_process_environment_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGFLOW_DEV", "true")
    (hit,) = found(doctor(tmp_path, BASE), "LF-DEV-001")
    assert hit["evidence"][0]["source"] == "environment"
    # the env file overrides the process environment (load_dotenv override=True)
    assert not found(doctor(tmp_path, BASE + "LANGFLOW_DEV=false\n"), "LF-DEV-001")


# -- the seed's own examples --------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.10.3", "1.13.0"])
def test_seed_authentication_env_passes_high(tmp_path: Path, version: str) -> None:
    res = doctor(tmp_path, BASE, version=version)
    assert res.exit_code == 0, res.json["findings"]
    assert all(f["severity"] in ("medium", "low", "info") for f in res.json["findings"])


def test_seed_authentication_env_on_169_is_flagged_only_for_the_defaults_it_leaves(tmp_path: Path) -> None:
    """On 1.6.9 the same file still leaves the default CORS block, which the seed calls a risk."""
    res = doctor(tmp_path, BASE, version="1.6.9")
    assert res.exit_code == 12
    assert {f["id"] for f in res.json["findings"] if f["severity"] in ("high", "critical")} == {"LF-CORS-001"}


SEED_CORS = """LANGFLOW_CORS_ORIGINS=*
LANGFLOW_CORS_ALLOW_CREDENTIALS=True
LANGFLOW_CORS_ALLOW_HEADERS=*
LANGFLOW_CORS_ALLOW_METHODS=*
"""
SEED_CORS_PRODUCTION = """LANGFLOW_CORS_ORIGINS=https://yourdomain.com,https://app.yourdomain.com
LANGFLOW_CORS_ALLOW_CREDENTIALS=True
LANGFLOW_CORS_ALLOW_HEADERS=Content-Type,Authorization
LANGFLOW_CORS_ALLOW_METHODS=GET,POST,PUT
"""


@pytest.mark.parametrize(("version", "severity"), [("1.6.9", "high"), ("1.13.0", "info")])
def test_seed_default_cors_block_is_flagged(tmp_path: Path, version: str, severity: str) -> None:
    res = doctor(tmp_path, BASE + SEED_CORS, version=version)
    (hit,) = found(res, "LF-CORS-001")
    assert hit["severity"] == severity
    assert [e["line"] for e in hit["evidence"]] == [NEXT, NEXT + 1]


def test_seed_production_cors_example(tmp_path: Path) -> None:
    """Its explicit origins pass; its comma-separated methods/headers are passed through unsplit."""
    res = doctor(tmp_path, BASE + SEED_CORS_PRODUCTION, version="1.6.9")
    assert not found(res, "LF-CORS-001")
    assert [(f["severity"], line_of(f)) for f in found(res, "LF-CORS-002")] == [("low", NEXT + 3), ("low", NEXT + 2)]
    assert found(res, "LF-CORS-002")[0]["fix"] == 'LANGFLOW_CORS_ALLOW_METHODS=["GET","POST","PUT"]'


def test_defaults_169_without_env_file_are_insecure(tmp_path: Path) -> None:
    """The seed: AUTO_LOGIN=True by default, default CORS is a risk, no secret key of your own."""
    res = run("config", "doctor", "--no-database", "--format", "json", "--langflow-version", "1.6.9")
    assert res.exit_code == 12
    sev = {f["id"]: f["severity"] for f in res.json["findings"]}
    assert sev["LF-AUTH-001"] == "high"  # loopback, but CORS origins '*'
    assert sev["LF-CORS-001"] == "high"
    assert sev["LF-SECRET-001"] == "medium"
    assert sev["LF-COOKIE-001"] == "medium"
    assert sev["LF-AUTH-007"] == "low"
    assert res.json["env_file"] is None and any("--env-file" in n for n in res.json["notes"])


def test_defaults_113_without_env_file_do_not_start(tmp_path: Path) -> None:
    res = run("config", "doctor", "--no-database", "--format", "json")
    assert res.exit_code == 12
    assert res.json["langflow_version"] == "1.13.0"
    assert res.json["version_source"].startswith("assumed")
    sev = {f["id"]: f["severity"] for f in res.json["findings"]}
    assert sev["LF-CONF-003"] == "critical"  # AUTO_LOGIN off by default, no password: no start
    assert sev["LF-CORS-001"] == "info"
    assert sev["LF-SECRET-001"] == "medium"
    assert "LF-AUTH-001" not in sev


# -- defaults exact per release, not per tier (lfx's settings of every patch release in between) ----


def default_evidence(variable: str, value: str, version: str) -> dict[str, Any]:
    return {"variable": variable, "value": value, "source": f"default (Langflow {version})", "path": None,
            "line": None}


@pytest.mark.parametrize(("version", "off"), [("1.7.3", True), ("1.8.4", True), ("1.9.0", True), ("1.9.1", False),
                                              ("1.9.6", False)])
def test_webhook_auth_by_the_release_default(tmp_path: Path, version: str, off: bool) -> None:
    """WEBHOOK_AUTH_ENABLE came in 1.7 (lfx 0.2.0) off and is on from 1.9.1 (lfx 0.4.1)."""
    hits = found(doctor(tmp_path, BASE, version=version), "LF-AUTH-008")
    assert [(h["message"], h["evidence"], h["fix"]) for h in hits] == (
        [("LANGFLOW_WEBHOOK_AUTH_ENABLE is off: /api/v1/webhook/{flow} runs flows without an API key",
          [default_evidence("LANGFLOW_WEBHOOK_AUTH_ENABLE", "false", version)], "LANGFLOW_WEBHOOK_AUTH_ENABLE=true")]
        if off else []
    )


@pytest.mark.parametrize(("version", "secure", "restricted"), [("1.11.0", True, False), ("1.11.1", False, False),
                                                              ("1.12.2", False, False), ("1.12.3", False, True)])
def test_cookies_and_local_files_by_the_release_default(
    tmp_path: Path, version: str, secure: bool, restricted: bool
) -> None:
    """The refresh cookie is SameSite=lax and not Secure from 1.11.1; RESTRICT_LOCAL_FILE_ACCESS is
    on from 1.12.3 (lfx 1.11.0/1.11.1 and 1.12.2/1.12.3 ``services/settings``)."""
    res = doctor(tmp_path, BASE + "LANGFLOW_HOST=0.0.0.0\n", version=version)
    insecure = {e["variable"] for h in found(res, "LF-COOKIE-002") for e in h["evidence"]} - {"LANGFLOW_HOST"}
    same_site = {e["variable"]: e["value"] for h in found(res, "LF-COOKIE-003") for e in h["evidence"]}
    files = [h["evidence"] for h in found(res, "LF-EXEC-002")]
    assert insecure == ({"LANGFLOW_ACCESS_SECURE"} if secure else {"LANGFLOW_ACCESS_SECURE", "LANGFLOW_REFRESH_SECURE"})
    assert same_site == ({"LANGFLOW_REFRESH_SAME_SITE": "none"} if secure else {})
    assert files == ([] if restricted else [[default_evidence("LANGFLOW_RESTRICT_LOCAL_FILE_ACCESS", "false", version)]])


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.6.9", None), ("1.8.4", "default (Langflow 1.8.4)"), ("1.9.2", "default (Langflow 1.9.2)"), ("1.9.3", None)],
)
def test_ssrf_protection_off_by_default_on_1_7_to_1_9_2(tmp_path: Path, version: str, expected: str | None) -> None:
    """SSRF protection exists from 1.7, off by default until 1.9.3 (docs/langflow/settings.md):
    the check follows the setting's own release range, not the 1.10 tier."""
    res = doctor(tmp_path, BASE, version=version)
    ssrf = [f for f in found(res, "LF-EXEC-003") if "SSRF_PROTECTION_ENABLED" in f["message"]]
    got = [ev["source"] for f in ssrf for ev in f["evidence"]]
    assert got == ([] if expected is None else [expected]), res.json
