"""``secrets scan-flows``: the heuristics on synthetic flow JSON, and the command on Langflow-made DBs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lfadmin.core.secrets.flow_scan import is_secret_name, scan_data
from tests.support.databases import LangflowDB


def field(name: str, value: Any, **kw: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "type": "str", **kw}


def node(node_id: str, template: dict[str, Any], group: list[Any] | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"template": {"_type": "Component", **template}}
    if group is not None:
        inner["flow"] = {"data": {"nodes": group, "edges": []}}
    return {"id": node_id, "data": {"id": node_id, "node": inner}}


def found(data: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(n, f, loc) for n, f, loc, _reason, _path, _v in scan_data(data)}


def test_heuristics_match_the_contract_table() -> None:
    inner = node("Inner-1", {"openai_api_key": field("openai_api_key", "sk-inner-literal-1234", password=True)})
    data = {
        "nodes": [
            node(
                "N-1",
                {
                    "openai_api_key": field("openai_api_key", "sk-embedded-literal-123", password=True),
                    "api_key": field("api_key", "MY_CRED", password=True, load_from_db=True),
                    "password": field("password", "db-pass", password=True),
                    "OPENAI_API_KEY": field("OPENAI_API_KEY", "x-upper", password=True),
                    "api_token": field("api_token", "tok1"),
                    "api_tokens": field("api_tokens", "tok2"),
                    "plain_api_key": field("api_key_nopw", "k-no-flag"),
                    "client_secret": field("client_secret", "cs"),
                    "database_url": field("database_url", "postgresql://u:p@h/db"),
                    "headers": field("headers", [{"key": "Authorization", "value": "Bearer abc"},
                                                 {"key": "Accept", "value": "json"}]),
                    "model_name": field("model_name", "gpt-4o-mini"),
                    "base_url": field("base_url", "https://user:pw@example.com/v1"),
                    "note": field("note", "ghp_abcdefghijklmnop"),
                    "bound_bad": field("bound_bad", "sk-pasted-into-a-bound-field", load_from_db=True),
                    "code": {"name": "code", "type": "code", "value": "api_key = 'sk-in-code-123456'"},
                    "empty_key": field("empty_key", "", password=True),
                    "temperature": field("temperature", 0.1),
                },
            ),
            node("Group-1", {}, group=[inner]),
        ]
    }
    assert found(data) == {
        ("N-1", "openai_api_key", "value"),
        ("N-1", "password", "value"),
        ("N-1", "OPENAI_API_KEY", "value"),
        ("N-1", "api_token", "value"),
        ("N-1", "plain_api_key", "value"),
        ("N-1", "client_secret", "value"),
        ("N-1", "database_url", "value"),
        ("N-1", "headers", "value[0].value"),
        ("N-1", "base_url", "value"),
        ("N-1", "note", "value"),
        ("N-1", "bound_bad", "value"),
        ("Group-1 > Inner-1", "openai_api_key", "value"),
    }


def test_secret_names() -> None:
    for name in ("api_key", "apiKey", "OPENAI_API_KEY", "client-secret", "access_token", "token", "dbPassword"):
        assert is_secret_name(name), name
    for name in ("model_name", "tokens", "max_tokens", "keywords", "temperature"):
        assert not is_secret_name(name), name


def test_scan_reports_the_fixture_secret(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "scan-flows", "--json")
    assert r.exit_code == 0, r
    findings = r.json["findings"]
    flow = [f for f in findings if f["table"] == "flow"]
    assert [(f["field"], f["owner"]) for f in flow] == [("openai_api_key", "alice")]
    secret = lfdb.manifest["flows"][0]["secret_value"]
    assert flow[0]["fingerprint"] == lfdb.fingerprint(secret)
    assert secret not in r.stdout and secret not in r.stderr
    # The bound field (api_key -> OPENAI_API_KEY) is a variable name, not a secret.
    assert all(f["field"] != "api_key" for f in findings)


def test_scan_user_filter(lfdb: LangflowDB) -> None:
    assert lfdb.run("secrets", "scan-flows", "--user", "bob", "--json").json["findings"] == []
    r = lfdb.run("secrets", "scan-flows", "--user", "nobody")
    assert r.exit_code == 8 and r.stderr.count("\n") == 1


def test_strip_dry_run_changes_nothing(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    r = lfdb.run("secrets", "scan-flows", "--strip", "--dry-run", "--json")
    assert r.exit_code == 0, r
    assert r.json["stripped"] is False and len(r.json["findings"]) >= 1
    assert lfdb.snapshot() == before


def test_strip_nulls_the_secret_and_keeps_the_binding(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "scan-flows", "--strip", "--json")
    assert r.exit_code == 0, r
    assert r.json["stripped"] is True
    (raw,) = lfdb.query("SELECT data FROM flow WHERE name = :n", n="Alice Secret Flow")[0]
    data = raw if isinstance(raw, dict) else json.loads(raw)
    template = data["nodes"][0]["data"]["node"]["template"]
    assert template["openai_api_key"]["value"] is None
    assert template["api_key"]["value"] == "OPENAI_API_KEY"
    assert template["model_name"]["value"] == "gpt-4o-mini"
    again = lfdb.run("secrets", "scan-flows", "--json")
    assert [f for f in again.json["findings"] if f["table"] == "flow"] == []


def test_dry_run_needs_strip(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "scan-flows", "--dry-run")
    assert r.exit_code == 4 and r.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["OPENAI_API_KEY", "MY CRED", "x" * 256])
def test_bound_names_are_not_findings(value: str) -> None:
    data = {"nodes": [node("N", {"api_key": field("api_key", value, password=True, load_from_db=True)})]}
    assert found(data) == set()
