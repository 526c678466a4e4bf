"""Real Langflow reads a pruned database: the flow's messages, transactions, vertex builds (and
1.13's traces and spans) through its own models and the functions behind its monitor endpoints,
and, after `db vacuum` rebuilt a SQLite file, its startup schema check still passes (one Langflow
process per database)."""

from __future__ import annotations

import pytest

from tests.support import history
from tests.support.databases import LangflowDB
from tests.support.langflow import langflow_check

pytestmark = pytest.mark.interop


def test_langflow_reads_pruned_history(lfdb: LangflowDB) -> None:
    flow = str(lfdb.manifest["flows"][0]["id"])
    history.seed(lfdb, flow, 48)
    res = lfdb.run("db", "prune", "--older-than", "1d", "--keep-last", "30")
    assert res.exit_code == 0, res
    checks = [{"op": "run_history", "flow_id": flow}]
    if lfdb.path is not None:  # the file VACUUM rebuilt still passes Langflow's startup schema check
        assert lfdb.run("db", "vacuum").exit_code == 0
        checks.append({"op": "schema_check"})

    got = langflow_check(lfdb, checks)
    assert all(r["ok"] for r in got), got
    seen = got[0]
    want = {"message": 30, "transaction": 30, "vertex_build": 30, "monitor_messages": 30, "monitor_transactions": 30}
    if lfdb.version == "1.13.0":
        want |= {"trace": 30, "span": 30, "span_total": 30}
    assert {k: seen[k] for k in want} == want
    assert seen["monitor_vertex_builds"] >= 1  # the newest build of each vertex
    assert all(r["result"] == "ok" for r in got[1:]), got
