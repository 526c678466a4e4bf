"""Literal secrets inside flow JSON (``flow.data``, ``flow_version.data``), found and stripped.

Heuristics are Langflow 1.13's export scrubber (``langflow/utils/flow_secrets.py``, docs/langflow/flows.md §3),
which is far stronger than ``LANGFLOW_REMOVE_API_KEYS`` (top level only, needs ``password`` and
an ``api``+``key`` name, and runs only on flow updates):

* a field with ``password: true`` or a secret-like name (``api_key``, ``client_secret``,
  ``*_token``, any ``password``/``secret``/``credential`` part, ``api``+``key`` parts, ...);
* a field bound to a global variable (``load_from_db``) holds a variable *name* — unless the
  value is shaped like a credential (``sk-…``, ``ghp_…``, ``AKIA…``), has control characters, is
  longer than 256 characters, or is a URL with credentials;
* any other string shaped like a well-known credential, or a URL with userinfo or secret-named
  query parameters;
* structured values (header tables, dicts): entries whose ``key``/``name``/``header`` or whose
  own key is secret-like;
* group nodes, recursively (``node.data.node.flow.data.nodes``).

Findings carry a fingerprint of the value keyed by the secret key (``Session.fingerprint``), never
the value. ``strip`` sets each found value to ``null`` — what Langflow's scrubbers do — in the
same transaction as the caller's session.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from lfadmin.core.secrets.stores import load_json
from lfadmin.core.user_rows import get_user

if TYPE_CHECKING:
    from lfadmin.core.session import Session
    from lfadmin.core.target import Target

Path_ = tuple[str | int, ...]

_CREDENTIAL_VALUE = re.compile(
    r"""^(?:
        sk-[A-Za-z0-9_-]{8,}
        | (?:ghp|gho|ghs|ghu)_[A-Za-z0-9]{8,}
        | github_pat_[A-Za-z0-9_]{8,}
        | glpat-[A-Za-z0-9_-]{8,}
        | hf_[A-Za-z0-9]{8,}
        | xox[abps]-[A-Za-z0-9-]{8,}
        | (?:AKIA|ASIA)[0-9A-Z]{16}
    )$""",
    re.VERBOSE,
)
_SECRET_PARTS = frozenset({"credential", "credentials", "passwd", "password", "secret"})
_SECRET_NAMES = frozenset(
    {
        "access_key", "api_key", "apikey", "authorization", "client_secret", "connection_string",
        "cookie", "database_uri", "database_url", "dsn", "private_key", "proxy_authorization",
        "set_cookie",
    }
)
_REFERENCE_MAX = 256
_SKIP_TYPES = frozenset({"code"})


def normalized_name(value: object) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(value or ""))
    return re.sub(r"[^a-zA-Z0-9]+", "_", name).strip("_").lower()


def is_secret_name(value: object) -> bool:
    """1.13's ``_is_secret_name``: snake/kebab/camel normalised, then the rules above."""
    n = normalized_name(value)
    if not n:
        return False
    if n in _SECRET_NAMES:
        return True
    parts = set(n.split("_"))
    return bool(parts & _SECRET_PARTS) or n == "token" or n.endswith("_token") or {"api", "key"} <= parts


def url_has_credentials(value: str) -> bool:
    candidate = value.strip()
    if not candidate or any(ch.isspace() for ch in candidate):
        return False
    try:
        parsed = urlsplit(candidate)
        if parsed.username is not None or parsed.password is not None:
            return True
    except ValueError:
        return False
    return any(
        is_secret_name(k)
        for part in (parsed.query, parsed.fragment)
        for k, _ in parse_qsl(part, keep_blank_values=True)
    )


def looks_like_credential(value: str) -> bool:
    return bool(_CREDENTIAL_VALUE.match(value.strip()))


def is_variable_reference(value: object) -> bool:
    """May a ``load_from_db`` value be a variable name rather than a pasted secret?"""
    if not isinstance(value, str) or not value.strip() or len(value) > _REFERENCE_MAX:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    return not looks_like_credential(value) and not url_has_credentials(value)


@dataclass(frozen=True)
class Finding:
    table: str  # "flow" | "flow_version"
    row_id: uuid.UUID
    flow_id: uuid.UUID | None
    flow_name: str | None
    owner: str | None
    node: str  # node id; "Group-1 > Inner-2" inside group nodes
    field: str  # template field
    location: str  # where inside the field: "value", "value[0].value", "value.headers.Authorization"
    reason: str
    fingerprint: str
    path: Path_  # JSON path inside the data column (for strip)

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row_id": str(self.row_id),
            "flow_id": str(self.flow_id) if self.flow_id else None,
            "flow_name": self.flow_name,
            "owner": self.owner,
            "node": self.node,
            "field": self.field,
            "location": self.location,
            "reason": self.reason,
            "fingerprint": self.fingerprint,
        }


def _fp(s: Session, value: Any) -> str:
    return s.fingerprint(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


def _nonempty(value: Any) -> bool:
    return value not in (None, "", [], {})


def scan_data(data: Any) -> Iterator[tuple[str, str, str, str, Path_, Any]]:
    """(node, field, location, reason, path, value) for each literal secret in one flow's data."""
    if not isinstance(data, dict):
        return
    yield from _scan_nodes(data.get("nodes"), ("nodes",), "")


def _scan_nodes(nodes: Any, base: Path_, prefix: str) -> Iterator[tuple[str, str, str, str, Path_, Any]]:
    if not isinstance(nodes, list):
        return
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        inner = node.get("data", {}).get("node") if isinstance(node.get("data"), dict) else None
        if not isinstance(inner, dict):
            continue
        node_id = str(node.get("id") or node.get("data", {}).get("id") or f"#{i}")
        label = f"{prefix}{node_id}"
        path = (*base, i, "data", "node")
        template = inner.get("template")
        if isinstance(template, dict):
            for key, fld in template.items():
                if isinstance(fld, dict) and "value" in fld:
                    for loc, reason, sub, val in _scan_field(key, fld):
                        yield label, key, loc, reason, (*path, "template", key, "value", *sub), val
        group = inner.get("flow")
        if isinstance(group, dict) and isinstance(group.get("data"), dict):
            yield from _scan_nodes(group["data"].get("nodes"), (*path, "flow", "data", "nodes"), label + " > ")


def _scan_field(key: str, fld: dict[str, Any]) -> Iterator[tuple[str, str, Path_, Any]]:
    value = fld.get("value")
    if not _nonempty(value) or str(fld.get("type") or "").lower() in _SKIP_TYPES:
        return
    name = fld.get("name") or key
    if fld.get("load_from_db") and isinstance(value, str):
        if not is_variable_reference(value):
            yield "value", "bound to a variable but holds a credential-shaped value", (), value
        return
    if fld.get("password") or is_secret_name(name) or is_secret_name(key):
        if isinstance(value, (dict, list)):
            yield "value", "secret field", (), value
        else:
            yield "value", "password field" if fld.get("password") else "secret-like field name", (), value
        return
    yield from _scan_structured(value, (), "value")


def _scan_structured(value: Any, sub: Path_, loc: str) -> Iterator[tuple[str, str, Path_, Any]]:
    if isinstance(value, str):
        if looks_like_credential(value):
            yield loc, "credential-shaped value", sub, value
        elif url_has_credentials(value):
            yield loc, "URL with credentials", sub, value
        return
    if isinstance(value, dict):
        label = next((value.get(k) for k in ("key", "name", "header") if is_secret_name(value.get(k))), None)
        for k, v in value.items():
            here = (*sub, k)
            if k == "value" and label is not None and _nonempty(v):
                yield f"{loc}.value", f"value of secret-named entry {label!r}", here, v
            elif is_secret_name(k) and _nonempty(v) and not isinstance(v, bool):
                yield f"{loc}.{k}", "secret-named key", here, v
            else:
                yield from _scan_structured(v, here, f"{loc}.{k}")
    elif isinstance(value, list):
        for idx, item in enumerate(value):
            yield from _scan_structured(item, (*sub, idx), f"{loc}[{idx}]")


# -- over the database ----------------------------------------------------------------------------


def _tables(s: Session) -> list[tuple[str, str, str]]:
    """(table, flow-id expression, name expression) of the tables holding flow JSON."""
    out = [("flow", "t.id", "t.name")]
    if s.schema.has("flow_version"):
        out.append(("flow_version", "t.flow_id", "f.name"))
    return out


def _rows(s: Session, table: str, username: str | None, batch: int = 100) -> Iterator[Any]:
    from sqlalchemy import text

    params: dict[str, Any] = {}
    where = "t.data IS NOT NULL"
    if username is not None:
        where += " AND t.user_id = :u"
        params["u"] = s.codec.uuid(get_user(s, username).id)
    if table == "flow":
        base = (
            "SELECT t.id, t.id, t.name, u.username, t.data FROM flow t "
            'LEFT JOIN "user" u ON u.id = t.user_id WHERE ' + where
        )
    else:
        base = (
            "SELECT t.id, t.flow_id, f.name, u.username, t.data FROM flow_version t "
            'LEFT JOIN flow f ON f.id = t.flow_id LEFT JOIN "user" u ON u.id = t.user_id WHERE ' + where
        )
    last: Any = None
    while True:
        sql = base + (" AND t.id > :last" if last is not None else "") + f" ORDER BY t.id LIMIT {batch}"
        rows = s.conn.execute(text(sql), {**params, "last": last}).all()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1][0]



@dataclass(frozen=True)
class FlowScan:
    """``secrets scan-flows``' result: the findings (stripped or not) and what was not scanned."""

    findings: list[Finding]
    unscannable: list[str]
    strip: bool
    dry_run: bool
    rows_changed: int  # with strip: rows nulled (or that would be, dry run)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"findings": [f.to_json() for f in self.findings]}
        if self.unscannable:
            out["unscannable"] = self.unscannable
        if self.strip:
            out["stripped"] = not self.dry_run
            out["rows_changed"] = self.rows_changed
        return out


def scan(target: Target, username: str | None = None, *, strip: bool = False, dry_run: bool = False) -> FlowScan:
    """``secrets scan-flows``: find literal secrets in flows; with ``strip``, null them in the same
    transaction (``dry_run``: only count what would change)."""
    unscannable: list[str] = []
    with target.session(write=strip and not dry_run) as s:
        if strip:
            s.subject(f"flows of {username}" if username else "flows")
            res = strip_flows(s, username, dry_run=dry_run, unscannable=unscannable)
            return FlowScan(res.findings, unscannable, True, dry_run, res.rows_changed)
        return FlowScan(scan_flows(s, username, unscannable), unscannable, False, dry_run, 0)


def scan_flows(
    s: Session, username: str | None = None, unscannable: list[str] | None = None
) -> list[Finding]:
    """Every literal secret in ``flow.data`` and ``flow_version.data`` (only ``username``'s flows
    when given). Read-only; the entry point ``config doctor`` uses. A row whose data is not a
    JSON object cannot be scanned: it is named in ``unscannable`` (when given), never skipped
    silently."""
    findings: list[Finding] = []
    for table, _, _ in _tables(s):
        for row in _rows(s, table, username):
            data = load_json(row[4])
            if not isinstance(data, dict):
                if unscannable is not None:
                    unscannable.append(
                        f"{table} {s.codec.read_uuid(row[0])} (flow {row[2] or '-'!r}, owner "
                        f"{row[3] or '-'}): its data is not a JSON object, so it was not scanned"
                    )
                continue
            for node, fld, loc, reason, path, val in scan_data(data):
                findings.append(
                    Finding(
                        table,
                        s.codec.read_uuid(row[0]),
                        s.codec.read_uuid(row[1]) if row[1] is not None else None,
                        row[2],
                        row[3],
                        node,
                        fld,
                        loc,
                        reason,
                        _fp(s, val),
                        path,
                    )
                )
    return findings


@dataclass(frozen=True)
class StripResult:
    findings: list[Finding]
    rows_changed: int
    dry_run: bool


def strip_flows(
    s: Session, username: str | None = None, *, dry_run: bool = False, unscannable: list[str] | None = None
) -> StripResult:
    """Null every finding of ``scan_flows`` in place (same transaction as ``s``)."""
    from sqlalchemy import text

    findings = scan_flows(s, username, unscannable)
    by_row: dict[tuple[str, uuid.UUID], list[Finding]] = {}
    for f in findings:
        by_row.setdefault((f.table, f.row_id), []).append(f)
    changed = 0
    for (table, row_id), items in by_row.items():
        raw = s.conn.execute(
            text(f"SELECT data FROM {table} WHERE id = :i"), {"i": s.codec.uuid(row_id)}
        ).scalar_one()
        data = load_json(raw)
        for f in items:
            target = data
            for step in f.path[:-1]:
                target = target[step]
            target[f.path[-1]] = None
        changed += 1
        if not dry_run:
            s.conn.execute(
                text(f"UPDATE {table} SET data = :d WHERE id = :i"),
                {"d": json.dumps(data), "i": s.codec.uuid(row_id)},
            )
    return StripResult(findings, changed, dry_run)
