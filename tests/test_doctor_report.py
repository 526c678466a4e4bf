"""`lfadmin config doctor`: report formats, SARIF validity, suppressions, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT
from tests.support.cli import run
from tests.support.doctor import BASE, NEXT, doctor, found, sarif_errors

RISKY = BASE + "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_HOST=0.0.0.0\nLANGFLOW_CORS_ALLOW_METHODS=GET,POST\n"


def write_env(tmp_path: Path, text: str) -> Path:
    env = tmp_path / ".env"
    env.write_text(text)
    env.chmod(0o600)
    return env


# -- JSON -------------------------------------------------------------------------------------


def test_json_schema_is_stable(tmp_path: Path) -> None:
    res = doctor(tmp_path, RISKY)
    data = res.json
    assert list(data) == [
        "schema_version", "tool", "langflow_version", "version_source", "env_file", "database",
        "fail_on", "exit_code", "summary", "findings", "suppressed", "warnings", "notes",
    ]
    assert data["schema_version"] == 1
    assert data["exit_code"] == res.exit_code == 12
    assert data["database"] == {"status": "skipped", "url": None, "reason": "--no-database", "release": None}
    assert list(data["summary"]) == ["critical", "high", "medium", "low", "info", "suppressed"]
    assert sum(data["summary"][k] for k in ("critical", "high", "medium", "low", "info")) == len(data["findings"])
    finding = found(res, "LF-AUTH-001")[0]
    assert list(finding) == ["id", "severity", "title", "message", "evidence", "fix", "hint", "details"]
    assert finding["fix"] == "LANGFLOW_AUTO_LOGIN=false"
    assert finding["evidence"][0] == {
        "variable": "LANGFLOW_AUTO_LOGIN", "value": "true", "source": f"{tmp_path / '.env'}:{NEXT}",
        "path": str(tmp_path / ".env"), "line": NEXT,
    }
    # most severe first
    order = ["critical", "high", "medium", "low", "info"]
    ranks = [order.index(f["severity"]) for f in data["findings"]]
    assert ranks == sorted(ranks)


def test_global_json_flag_means_json(tmp_path: Path) -> None:
    env = write_env(tmp_path, BASE)
    res = run("--json", "config", "doctor", "--env-file", str(env), "--no-database")
    assert res.json["env_file"] == str(env)


# -- SARIF ------------------------------------------------------------------------------------


def test_sarif_validates_against_the_schema(tmp_path: Path) -> None:
    res = doctor(tmp_path, RISKY, "--format", "sarif")
    assert res.exit_code == 12
    doc = json.loads(res.stdout)
    assert sarif_errors(doc) == []
    run_ = doc["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert rules["LF-AUTH-001"]["help"]["text"] and rules["LF-AUTH-001"]["properties"]["security-severity"] == "9.5"
    results = {r["ruleId"]: r for r in run_["results"]}
    auto = results["LF-AUTH-001"]
    assert auto["level"] == "error"
    loc = auto["locations"][0]["physicalLocation"]
    assert loc["region"]["startLine"] == NEXT
    assert loc["artifactLocation"]["uri"] == (tmp_path / ".env").resolve().as_uri()  # outside the cwd
    assert run_["tool"]["driver"]["rules"][auto["ruleIndex"]]["id"] == "LF-AUTH-001"
    # results without an env-file line still point at the env file, line 1
    webhook = results["LF-FLOW-001"]["locations"][0]["physicalLocation"]
    assert webhook["region"]["startLine"] == 1


def test_sarif_paths_are_relative_inside_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy").mkdir()
    env = tmp_path / "deploy" / ".env"
    env.write_text(RISKY)
    env.chmod(0o600)
    (tmp_path / ".lfadmin-ignore").write_text("LF-FLOW-001 flows are scrubbed by our export job\n")
    res = run("config", "doctor", "--env-file", "deploy/.env", "--no-database", "--format", "sarif")
    doc = json.loads(res.stdout)
    assert sarif_errors(doc) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert uris == {"deploy/.env"}
    (flow,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "LF-FLOW-001"]
    assert flow["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "flows are scrubbed by our export job"}
    ]


def test_sarif_without_env_file_or_database(tmp_path: Path) -> None:
    res = run("config", "doctor", "--format", "sarif", "--database-url", f"sqlite:///{tmp_path}/missing.db")
    doc = json.loads(res.stdout)
    assert sarif_errors(doc) == []
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "doctor.sarif"
    res = doctor(tmp_path, RISKY, "--format", "sarif", "--output", str(out))
    assert res.stdout == "" and res.exit_code == 12
    assert sarif_errors(json.loads(out.read_text())) == []
    table = tmp_path / "doctor.txt"
    env = tmp_path / ".env"
    run("config", "doctor", "--env-file", str(env), "--no-database", "-o", str(table))
    assert "LF-AUTH-001" in table.read_text()


# -- the table for people ---------------------------------------------------------------------


def test_table_groups_by_severity(tmp_path: Path) -> None:
    env = write_env(tmp_path, RISKY)
    res = run("config", "doctor", "--env-file", str(env), "--no-database")
    assert res.exit_code == 12
    out = res.stdout
    assert out.index(" CRITICAL (") < out.index(" MEDIUM (") < out.index(" LOW (")
    assert f"LANGFLOW_AUTO_LOGIN = true   ({env}:{NEXT})" in out
    assert "fix: LANGFLOW_AUTO_LOGIN=false" in out
    assert "Summary:" in out and "exit 12" in out
    assert "Vq3-" not in out  # the password is masked


def test_list_checks() -> None:
    res = run("--json", "config", "doctor", "--list-checks")
    ids = [c["id"] for c in res.json["checks"]]
    assert "LF-AUTH-001" in ids and "LF-DB-001" in ids and len(ids) == len(set(ids))


# -- exit codes and --fail-on -----------------------------------------------------------------


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 12), ("high", 12), ("medium", 12), ("low", 12)])
def test_fail_on_with_critical(tmp_path: Path, fail_on: str, code: int) -> None:
    assert doctor(tmp_path, RISKY, "--fail-on", fail_on).exit_code == code


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 0), ("high", 0), ("medium", 12), ("low", 12)])
def test_fail_on_with_medium_only(tmp_path: Path, fail_on: str, code: int) -> None:
    res = doctor(tmp_path, BASE, "--fail-on", fail_on)
    assert res.exit_code == code and res.json["fail_on"] == fail_on


@pytest.mark.parametrize("bad", ["severe", "info", ""])
def test_unknown_fail_on(tmp_path: Path, bad: str) -> None:
    res = doctor(tmp_path, BASE, "--fail-on", bad)
    assert res.exit_code == 4
    assert "--fail-on" in res.stderr and res.stdout == ""


def test_unknown_format(tmp_path: Path) -> None:
    res = doctor(tmp_path, BASE, "--format", "xml")
    assert res.exit_code == 4 and "--format 'xml'" in res.stderr


# -- suppressions -----------------------------------------------------------------------------


def test_suppression_file(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore"
    ignore.write_text(
        "# accepted risks, reviewed 2026-11\n"
        "LF-AUTH-001  exp:2099-12-31  lab box behind the VPN, AUTO_LOGIN for the demo\n"
        "LF-COOKIE-002 TLS terminates at the ingress\n"
        "LF-CONF-001 # a typo-free line for a check that does not fire\n"
    )
    res = doctor(tmp_path, RISKY, "--ignore-file", str(ignore), "--fail-on", "critical")
    assert res.exit_code == 0, res.json["findings"]
    sup = {f["id"]: f["suppression"] for f in res.json["suppressed"]}
    assert sup["LF-AUTH-001"] == {
        "reason": "lab box behind the VPN, AUTO_LOGIN for the demo", "expires": "2099-12-31", "source": f"{ignore}:2",
    }
    assert sup["LF-COOKIE-002"]["expires"] is None
    assert not found(res, "LF-AUTH-001")
    assert res.json["summary"]["suppressed"] == len(res.json["suppressed"])


def test_expired_suppression_reports_again(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore"
    ignore.write_text("LF-AUTH-001 exp:2020-01-31 temporary\n")
    res = doctor(tmp_path, RISKY, "--ignore-file", str(ignore))
    assert found(res, "LF-AUTH-001")
    assert f"{ignore}:1: the suppression of LF-AUTH-001 expired on 2020-01-31" in res.json["warnings"][0]
    assert "expired" in res.stderr


def test_unknown_check_id_in_suppressions_warns(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore"
    ignore.write_text("LF-AUTH-999 no such check\n")
    res = doctor(tmp_path, BASE, "--ignore-file", str(ignore), "--ignore", "LF-NOPE-001")
    assert res.exit_code == 0
    assert res.json["warnings"] == [
        "--ignore LF-NOPE-001: no such check ID",
        f"{ignore}:1: unknown check ID LF-AUTH-999 (suppression ignored)",
    ]
    assert "Warning: " in res.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("LF-AUTH-001\n", "needs a reason"),
        ("LF-AUTH-001 exp:2026-13-01 reason\n", "is not exp:YYYY-MM-DD"),
        ("AUTO_LOGIN because\n", "is not a check ID"),
    ],
)
def test_bad_suppression_file(tmp_path: Path, text: str, message: str) -> None:
    ignore = tmp_path / "ignore"
    ignore.write_text("# header\n" + text)
    res = doctor(tmp_path, BASE, "--ignore-file", str(ignore))
    assert res.exit_code == 4
    assert f"{ignore}:2: " in res.stderr and message in res.stderr


def test_missing_suppression_file(tmp_path: Path) -> None:
    res = doctor(tmp_path, BASE, "--ignore-file", str(tmp_path / "nope"))
    assert res.exit_code == 4 and "does not exist" in res.stderr


def test_command_line_ignore(tmp_path: Path) -> None:
    res = doctor(tmp_path, RISKY, "--ignore", "lf-auth-001", "--fail-on", "critical")
    assert res.exit_code == 0
    assert [f["suppression"]["source"] for f in res.json["suppressed"]] == ["--ignore"]


# -- bad input --------------------------------------------------------------------------------


def test_env_file_missing(tmp_path: Path) -> None:
    res = run("config", "doctor", "--env-file", str(tmp_path / "nope.env"))
    assert res.exit_code == 4
    assert res.stderr.startswith(f"Error: env file {tmp_path / 'nope.env'} does not exist")


def test_env_file_binary(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes(b"LANGFLOW_AUTO_LOGIN=false\n\x00\x01\x02")
    res = run("config", "doctor", "--env-file", str(env))
    assert res.exit_code == 4 and "is binary" in res.stderr


def test_env_file_not_utf8(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes(b"LANGFLOW_SUPERUSER=\xe9\xff\n")
    res = run("config", "doctor", "--env-file", str(env))
    assert res.exit_code == 4 and "not UTF-8" in res.stderr


def test_env_file_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = write_env(tmp_path, BASE)
    real = os.open

    def denied(path: Any, *a: Any, **k: Any) -> int:
        if Path(path) == env:
            raise PermissionError(13, "Permission denied")
        return real(path, *a, **k)

    # Tests run as root: chmod 000 would not stop us (tests/test_unprivileged.py does it for real).
    monkeypatch.setattr(os, "open", denied)
    res = run("config", "doctor", "--env-file", str(env))
    assert res.exit_code == 4 and "not readable (permission denied)" in res.stderr


def test_env_file_syntax_error_reports_the_line(tmp_path: Path) -> None:
    env = write_env(tmp_path, BASE + 'LANGFLOW_HOST="unterminated\n')
    res = run("config", "doctor", "--env-file", str(env))
    assert res.exit_code == 4
    assert f"Error: {env}:{NEXT}: cannot parse the line assigning LANGFLOW_HOST (not shown" in res.stderr


def test_unknown_langflow_version(tmp_path: Path) -> None:
    res = doctor(tmp_path, BASE, version="0.9")
    assert res.exit_code == 4 and "--langflow-version" in res.stderr


def test_unreachable_database_still_reports_env_checks(tmp_path: Path) -> None:
    env = write_env(tmp_path, BASE)
    res = run(
        "config", "doctor", "--env-file", str(env), "--format", "json", "--fail-on", "critical",
        "--database-url", "postgresql://postgres:postgres@127.0.0.1:1/nowhere",
    )
    assert res.exit_code == 13
    data = res.json
    assert data["database"]["status"] == "failed"
    assert data["database"]["url"] == "postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere"
    assert "cannot use" in data["database"]["reason"]
    assert found(res, "LF-EXEC-001")  # the env checks ran
    assert "database checks skipped" in res.stderr



def test_partial_run_wins_over_findings(tmp_path: Path) -> None:
    """13 before 12: with the database part missing the findings are not the whole list."""
    env = write_env(tmp_path, BASE)
    missing = ("--database-url", f"sqlite:///{tmp_path}/missing.db")
    res = run("config", "doctor", "--env-file", str(env), "--format", "json", *missing, "--fail-on", "medium")
    assert res.exit_code == 13 and res.json["database"]["status"] == "failed"
    assert res.json["exit_code"] == 13 and res.json["summary"]["medium"] >= 1
    res = run("config", "doctor", "--env-file", str(env), *missing, "--fail-on", "medium")
    summary = res.stdout.strip().splitlines()[-1]
    assert res.exit_code == 13
    assert summary.endswith(" at or above medium; database part failed: exit 13."), summary
    assert not summary.split(". ", 1)[1].startswith("nothing"), summary


def test_not_a_langflow_database(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "other.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    env = write_env(tmp_path, BASE)
    res = run("config", "doctor", "--env-file", str(env), "--format", "json", "--fail-on", "critical",
              "--database-url", f"sqlite:///{db}")
    assert res.exit_code == 13
    assert "not a Langflow database" in res.json["database"]["reason"]


# -- speed and weight -------------------------------------------------------------------------


def test_env_only_is_light(tmp_path: Path) -> None:
    """On an env file alone the doctor never imports SQLAlchemy, as a library or as the command.
    (How fast it is, is bench/bench_doctor.py's to measure: timings in a test only flake on a
    loaded machine.)"""
    env = write_env(tmp_path, RISKY)
    code = (
        "import sys, pathlib\n"
        "from lfadmin.core.doctor import Options, run\n"
        "from lfadmin.core.target import Target\n"
        f"env = pathlib.Path({str(env)!r})\n"
        "r = run(Target(env_file=env), Options())\n"
        "print('sqlalchemy' in sys.modules, len(r.findings))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    imported, n = out.stdout.split()
    assert imported == "False"
    assert int(n) > 5
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print('sqlalchemy' in sys.modules, file=sys.stderr))\n"
        f"sys.argv = ['lfadmin', 'config', 'doctor', '--env-file', {str(env)!r}, '-f', 'json']\n"
        "from lfadmin.cli import main\nmain()\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 12 and proc.stderr.strip().endswith("False"), proc.stderr


# -- docs -------------------------------------------------------------------------------------


def test_docs_list_every_check_as_registered() -> None:
    """docs/doctor.md's check table is generated from the registry; regenerate it when this fails."""
    from lfadmin.core.doctor import checks

    text = (ROOT / "docs" / "doctor.md").read_text()
    start = text.index("<!-- checks:start")
    body = text[text.index("\n", start) + 1 : text.index("<!-- checks:end -->")].rstrip("\n")
    rows = ["| ID | default severity | what it flags | source |", "|---|---|---|---|"]
    for c in checks():
        rows.append(f"| `{c.id}` | {c.severity.label} | **{c.title}.** {c.help} | {'; '.join(c.references)} |")
    assert body == "\n".join(rows)


# -- the specification's names: `config-audit`, `config audit` ---------------------------------


@pytest.mark.parametrize("alias", [["config-audit"], ["config", "audit"]], ids=["config-audit", "config audit"])
def test_config_audit_is_a_hidden_alias_of_config_doctor(tmp_path: Path, alias: list[str]) -> None:
    env = write_env(tmp_path, RISKY)
    args = ["--env-file", str(env), "--no-database", "--format", "json"]
    doctor_run, alias_run = run("config", "doctor", *args), run(*alias, *args)
    assert alias_run.exit_code == doctor_run.exit_code == 12
    assert (alias_run.stdout, alias_run.stderr) == (doctor_run.stdout, doctor_run.stderr)
    assert run("--env-file", str(env), *alias, "--list-checks", "--json").json == run(
        "config", "doctor", "--list-checks", "--json"
    ).json
    # Hidden: `config doctor` is the documented name (`lfadmin audit` is the audit trail's group).
    assert "config-audit" not in run("--help").stdout
    assert "audit" not in run("config", "--help").stdout
