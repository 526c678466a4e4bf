"""The database rules about stored values: Generic variables 1.8+ no longer decrypt (LF-UPG-007),
plaintext and deactivated API keys (008, 009), values the key in effect cannot open or that only
the old short-key derivation opens (010-012). ``Ring`` tells which derivation opens a token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lfadmin.core.doctor.model import Evidence
from lfadmin.core.secrets.stores import STORES, where
from lfadmin.core.upgrade.model import Found, Settings, make_finding
from lfadmin.core.upgrade.rules import EXAMPLES, R007, R008, R009, R010, R011, R012, Jump
from lfadmin.db import execute
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, Derivation, derive_key, looks_encrypted

if TYPE_CHECKING:
    from lfadmin.core.session import Session


def generic_variables(s: Session, st: Settings, jump: Jump) -> Found:
    if not R007.applies(jump):
        return
    rows = execute(
        s.conn,
        'SELECT v.name, u.username, v.value FROM variable v LEFT JOIN "user" u ON u.id = v.user_id '
        "WHERE v.type = 'Generic' AND v.value LIKE 'gAAAAA%' ORDER BY u.username, v.name",
    ).all()
    if not rows:
        return
    ring = Ring(st.secret.value) if st.secret is not None else None
    opened = sum(1 for r in rows if ring is not None and ring.opens(r[2]))
    lost = len(rows) - opened
    yield make_finding(
        R007,
        f"{len(rows)} Generic variable{'s are' if len(rows) > 1 else ' is'} stored encrypted: from Langflow "
        f"1.8.0 flows get the Fernet token instead of the value ({opened} open with the key in effect"
        + (f", {lost} do not" if lost else "") + ").",
        [Evidence(f"variable:{r[0]}", f"owner {r[1]}", "database") for r in rows[:EXAMPLES]],
        "lfadmin upgrade repair",
        "run it AFTER the upgrade: 1.6/1.7 read only encrypted values",
        count=len(rows), undecryptable=lost or None,
    )


def api_keys(s: Session, jump: Jump) -> Found:
    if R008.applies(jump):
        rows = execute(
            s.conn, 'SELECT k.name, u.username FROM apikey k LEFT JOIN "user" u ON u.id = k.user_id '
            "WHERE k.api_key NOT LIKE 'gAAAAA%' ORDER BY u.username, k.name",
        ).all()
        if rows:
            yield make_finding(
                R008, f"{len(rows)} API key{'s are' if len(rows) > 1 else ' is'} stored in plaintext; every "
                "release accepts them and none encrypts them.",
                [Evidence(f"apikey:{r[0]}", f"owner {r[1]}", "database") for r in rows[:EXAMPLES]],
                "lfadmin api-key encrypt-legacy", "AFTER the upgrade: 1.6/1.7 never accept encrypted keys",
                count=len(rows),
            )
    if R009.applies(jump):
        rows = execute(
            s.conn, 'SELECT k.name, u.username FROM apikey k LEFT JOIN "user" u ON u.id = k.user_id '
            "WHERE k.is_active = :f ORDER BY u.username, k.name", f=False,
        ).all()
        if rows:
            first = rows[0]
            yield make_finding(
                R009, f"{len(rows)} deactivated API key{'s work' if len(rows) > 1 else ' works'} today and "
                f"stop{'s' if len(rows) == 1 else ''} working on Langflow {jump.to_label}.",
                [Evidence(f"apikey:{r[0]}", f"owner {r[1]}, inactive", "database") for r in rows[:EXAMPLES]],
                f"lfadmin api-key revoke {first[0]} --user {first[1]}",
                "if nothing should use them (for each); a caller that still does will be refused",
                count=len(rows),
            )


class Ring:
    """One Fernet per derivation of the secret, to tell which derivation opens a token."""

    def __init__(self, secret: str) -> None:
        from cryptography.fernet import Fernet

        self.fernets: dict[Derivation, Any] = {}
        for d in Derivation:
            try:
                self.fernets[d] = Fernet(derive_key(secret, d))
            except (ValueError, TypeError):
                continue

    def which(self, token: str) -> set[Derivation]:
        from cryptography.fernet import InvalidToken

        found = set()
        for d, f in self.fernets.items():
            try:
                f.decrypt(token.encode())
            except (InvalidToken, ValueError, UnicodeDecodeError):
                continue
            found.add(d)
        return found

    def opens(self, token: str) -> bool:
        return bool(self.which(token))


def encrypted_values(s: Session, st: Settings, jump: Jump) -> Found:
    if st.secret is None:
        return
    secret = st.secret.value
    short = len(secret) < MINIMUM_KEY_LENGTH
    ring = Ring(secret)
    lost: list[str] = []
    legacy: list[str] = []
    counts: dict[str, int] = {}
    for store in STORES:
        if store.kind == "sso" or not store.present(s):
            continue
        for batch in store.rows(s):
            for row in batch:
                for cell in store.cells(row):
                    if cell.sso or not looks_encrypted(cell.value):
                        continue
                    found = ring.which(cell.value)
                    if not found:
                        lost.append(f"{store.name} {where(row, cell)}")
                        counts[store.name] = counts.get(store.name, 0) + 1
                    elif short and found == {Derivation.LEGACY_RANDOM}:
                        legacy.append(f"{store.name} {where(row, cell)}")
    key_ev = Evidence("secret key", f"{len(secret)} characters", st.secret.source,
                      st.secret.origin.path, st.secret.origin.line)
    if lost and R010.applies(jump):
        yield make_finding(
            R010, f"{len(lost)} encrypted value{'s do' if len(lost) > 1 else ' does'} not open with the secret "
            "key in effect: Langflow 1.10+ reads them as empty strings.",
            [key_ev] + [Evidence(x, "undecryptable", "database") for x in lost[:EXAMPLES]],
            "lfadmin secrets check", "to list them all; run the new server with the key that wrote them",
            count=len(lost), stores=counts,
        )
    if legacy and R011.applies(jump):
        yield make_finding(
            R011, f"the secret key is short and {len(legacy)} value{'s open' if len(legacy) > 1 else ' opens'} "
            f"only with the old derivation: Langflow {jump.to_label} reads them as empty strings.",
            [key_ev] + [Evidence(x, "legacy derivation", "database") for x in legacy[:EXAMPLES]],
            "lfadmin upgrade repair",
            "after the upgrade; or upgrade to 1.11.0 or later, which reads both; or before: "
            "`lfadmin secrets rotate` to a 43-character key (ends every session)",
            count=len(legacy),
        )
    elif legacy and R012.applies(jump):
        yield make_finding(
            R012, f"the secret key is short and {len(legacy)} value{'s were' if len(legacy) > 1 else ' was'} "
            f"written with the old derivation: Langflow {jump.to_label} reads both and writes the new one.",
            [key_ev], "lfadmin secrets rotate", "to a 43-character key, when convenient (ends every session)",
            count=len(legacy),
        )
