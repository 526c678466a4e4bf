"""Text output a person can read (issue 15; the rules: docs/text-output.md, lfadmin/output.py).

On a terminal (forced here with TTY_COMPATIBLE=1, as rich reads it) every list fits 80 and 120
columns, one line a row; whatever it shortens or drops, ``--wide`` shows in full; piped, the
same tables are tab-separated values holding what ``--json`` holds.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.cli import Result
from tests.support.databases import LangflowDB

WIDTHS = [80, 120]


@dataclass(frozen=True)
class Listing:
    args: tuple[str, ...]
    headers: tuple[str, ...]  # every column, as --wide shows them, in order
    items: str  # the --json key holding one object a row
    wide_only: tuple[str, ...] = ()  # columns only --wide shows
    narrow: tuple[str, ...] = ()  # columns only the narrow view has (summaries of wide ones)


LISTINGS = {
    "user list": Listing(
        ("user", "list"), ("USERNAME", "ACTIVE", "SUPERUSER", "CREATED", "LAST LOGIN", "ID"), "users", ("ID",)
    ),
    "api-key list": Listing(
        ("api-key", "list", "--all"),
        ("ID", "NAME", "OWNER", "STATUS", "KEY", "LAST USED", "EXPIRES", "USES", "CREATED", "ACTIVE"),
        "api_keys",
        ("ACTIVE",),
    ),
    "secrets list": Listing(
        ("secrets", "list"),
        ("NAME", "OWNER", "TYPE", "STATUS", "FIELDS", "FINGERPRINT", "UPDATED", "CREATED", "ENV"),
        "variables",
        ("ENV",),
    ),
    "secrets check": Listing(
        ("secrets", "check"),
        ("STORE", "VALUES", "OK", "LEGACY", "UNDECRYPTABLE", "PLAINTEXT", "ENCRYPTED-GENERIC", "PLAIN-EXPECTED"),
        "stores",
        ("OK", "LEGACY", "UNDECRYPTABLE", "PLAINTEXT", "ENCRYPTED-GENERIC", "PLAIN-EXPECTED"),
        ("COUNTS",),
    ),
    "doctor checks": Listing(("config", "doctor", "--list-checks"), ("ID", "SEVERITY", "SCOPE", "TITLE"), "checks"),
}


def on_terminal(db: LangflowDB, *args: str, width: int) -> Result:
    res = db.run(*args, TTY_COMPATIBLE="1", COLUMNS=str(width))
    assert res.exit_code == 0, res
    return res


def parse(stdout: str, headers: tuple[str, ...]) -> tuple[list[str], list[dict[str, str]]]:
    """The headers a terminal table shows and its rows, cut at the headers' positions."""
    lines = stdout.splitlines()
    shown, starts, pos = [], [], 0
    for h in headers:
        at = lines[0].find(h, pos)
        if at >= 0:
            shown.append(h)
            starts.append(at)
            pos = at + len(h)
    assert lines[0].split() == " ".join(shown).split(), (lines[0], headers)
    ends = [*starts[1:], None]
    return shown, [{h: ln[s:e].strip() for h, s, e in zip(shown, starts, ends, strict=True)} for ln in lines[1:]]


def json_items(db: LangflowDB, listing: Listing) -> list[Any]:
    items = db.run(*listing.args, "--json").json[listing.items]
    return [s for s in items if s.get("present", True)]


def shortens(short: str, full: str) -> bool:
    """Is ``short`` the terminal's form of the --wide cell ``full`` (the rules of output.py)?"""
    if short == full:
        return True
    if short.endswith("…"):
        return full.startswith(short[:-1])
    if re.fullmatch(r"[0-9a-f]{8}", short):  # an id
        return bool(re.fullmatch(short + r"[0-9a-f-]{28}", full))
    if short.endswith("****"):  # a masked key
        return full.startswith(short[:-4]) and set(full[len(short) - 4 :]) == {"*"}
    if re.fullmatch(r"\w+ ago|in \w+", short):  # a time
        return bool(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", full))
    return False


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(LISTINGS))
def test_tables_fit_the_terminal_and_wide_shows_what_they_leave_out(
    sqlite_db: LangflowDB, name: str, width: int
) -> None:
    listing = LISTINGS[name]
    res = on_terminal(sqlite_db, *listing.args, width=width)
    lines = res.stdout.splitlines()
    assert all(len(ln) <= width for ln in lines), "\n".join(ln for ln in lines if len(ln) > width)
    items = json_items(sqlite_db, listing)
    assert len(lines) == 1 + len(items)  # a header, then one line a row: nothing wrapped
    shown, rows = parse(res.stdout, (*listing.headers[:2], *listing.narrow, *listing.headers[2:]))

    wide = on_terminal(sqlite_db, *listing.args, "--wide", width=width)
    wide_shown, wide_rows = parse(wide.stdout, listing.headers)
    assert wide_shown == list(listing.headers)  # --wide: every column, nothing dropped
    assert len(wide_rows) == len(items) and "hidden" not in wide.stderr

    dropped = [h.lower() for h in (*listing.headers[:2], *listing.narrow, *listing.headers[2:])
               if h not in shown and h not in listing.wide_only]
    hidden = re.search(rf"^hidden to fit {width} columns: (.*) \(--wide shows every column\)$", res.stderr, re.M)
    assert (hidden.group(1).split(", ") if hidden else []) == dropped, res.stderr
    for row, full in zip(rows, wide_rows, strict=True):
        for h, cell in row.items():
            if h in listing.narrow:  # "14 ok, 1 legacy": every non-zero count, by its column's name
                counts = {k.lower(): v for k, v in full.items() if k not in listing.headers[:2] and v != "0"}
                assert cell == (", ".join(f"{v} {k}" for k, v in counts.items()) or "-"), (cell, full)
            else:
                assert shortens(cell, full[h]), (h, cell, full[h])


@pytest.mark.parametrize("name", list(LISTINGS))
def test_piped_tables_are_tab_separated_json_values(sqlite_db: LangflowDB, name: str) -> None:
    listing = LISTINGS[name]
    res = sqlite_db.run(*listing.args)  # stdout is not a terminal
    assert res.exit_code == 0, res
    items = json_items(sqlite_db, listing)
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    assert len(rows) == len(items) and all(len(r) == len(listing.headers) for r in rows), res.stdout
    assert "hidden" not in res.stderr
    first = rows[0]
    if name == "user list":
        assert [first[0], first[3], first[4], first[5]] == [
            items[0]["username"], items[0]["created_at"], items[0]["last_login_at"] or "", items[0]["id"]
        ]
    if name == "api-key list":
        assert [first[0], first[4], first[8]] == [items[0]["id"], items[0]["masked_key"], items[0]["created_at"]]


def test_a_long_cell_is_cut_on_a_terminal_never_wrapped_and_wide_shows_it(db113: LangflowDB) -> None:
    name = "nightly-export-" + "x" * 70
    made = db113.run("api-key", "create", "--user", "alice", "--name", name)
    assert made.exit_code == 0, made
    res = on_terminal(db113, "api-key", "list", "--all", width=80)
    lines = res.stdout.splitlines()
    assert len(lines) == 1 + len(db113.manifest["api_keys"]) + 1 and all(len(ln) <= 80 for ln in lines)
    row = next(ln for ln in lines if "nightly-export-" in ln)
    assert "…" in row and name not in row
    wide = on_terminal(db113, "api-key", "list", "--all", "--wide", width=80)
    assert name in wide.stdout


def test_piped_cells_escape_tabs_and_newlines(sqlite_db: LangflowDB) -> None:
    sqlite_db.execute("UPDATE \"user\" SET username = :n WHERE username = 'carol'", n="ca\trol\nx\\y")
    res = sqlite_db.run("user", "list")
    assert res.exit_code == 0, res
    assert any(line.startswith("ca\\trol\\nx\\\\y\t") for line in res.stdout.splitlines()), res.stdout


def test_records_keep_a_hanging_indent(sqlite_db: LangflowDB) -> None:
    res = on_terminal(sqlite_db, "info", width=60)
    lines = res.stdout.splitlines()
    assert all(len(ln) <= 60 for ln in lines)
    indent = len(next(m.group(0) for ln in lines if (m := re.match(r"alembic revision +", ln))))
    assert lines[0].startswith("database" + " " * (indent - len("database")) + "sqlite:///")
    continued = [ln for ln in lines if ln.startswith(" ")]
    assert continued and all(ln.startswith(" " * indent) and ln[indent] != " " for ln in continued)
    piped = sqlite_db.run("info")
    assert piped.stdout.splitlines()[0] == f"database\t{sqlite_db.url}  (LANGFLOW_DATABASE_URL (environment))"


# -- short ids as input -----------------------------------------------------------------------


def test_revoke_by_a_short_id_as_the_list_shows_it(db113: LangflowDB) -> None:
    alice = next(k for k in db113.manifest["api_keys"] if k["owner"] == "alice")
    short = on_terminal(db113, "api-key", "list", "--all", width=80).stdout
    assert alice["id"][:8] in short.split()
    r = db113.run("api-key", "revoke", alice["id"][:8].upper(), "--json")
    assert r.exit_code == 0, r
    assert r.json["api_key"]["id"] == alice["id"]


def test_an_ambiguous_or_too_short_prefix_is_refused(db113: LangflowDB) -> None:
    admin = next(k for k in db113.manifest["api_keys"] if k["owner"] == "admin")
    twin = uuid.UUID(admin["id"][:9] + "0000-4000-8000-000000000000")
    db113.execute(
        "INSERT INTO apikey (id, name, api_key, user_id, created_at, total_uses, is_active) "
        "SELECT :twin, 'twin', 'sk-twin', user_id, created_at, 0, is_active FROM apikey WHERE name = 'admin-key'",
        twin=twin.hex if db113.backend == "sqlite" else str(twin),
    )
    snap = db113.snapshot()
    r = db113.run("api-key", "revoke", admin["id"][:8])
    assert (r.exit_code, r.stdout) == (4, ""), r
    assert r.stderr == (
        f"Error: {admin['id'][:8]!r} is the start of 2 API key ids: "
        f"{', '.join(sorted([admin['id'], str(twin)]))} (type more of the id)\n"
    )
    r = db113.run("api-key", "revoke", admin["id"][:3])
    assert r.exit_code == 8 and "no API key with id or name" in r.stderr
    assert db113.snapshot() == snap
    # A name wins over a prefix, as a ref does over an abbreviated hash in git.
    r = db113.run("api-key", "revoke", "twin", "--json")
    assert r.exit_code == 0 and r.json["api_key"]["id"] == str(twin)


# -- reports that keep their shape ------------------------------------------------------------

RISKY_ENV = "LANGFLOW_AUTO_LOGIN=true\nLANGFLOW_SECRET_KEY=short\nLANGFLOW_CORS_ORIGINS=*\nLANGFLOW_HOST=0.0.0.0\n"
TOP_LEVEL = re.compile(r"Langflow config doctor|env file: |Summary: | (CRITICAL|HIGH|MEDIUM|LOW|INFO|SUPPRESSED) \(")
FINDING = re.compile(r"  LF-[A-Z]+-\d{3}  \S")


@pytest.mark.parametrize("width", [60, 80])
def test_the_doctor_report_keeps_its_hanging_indents(sqlite_db: LangflowDB, tmp_path: Any, width: int) -> None:
    env = tmp_path / "risky.env"
    env.write_text(RISKY_ENV)
    args = ("config", "doctor", "--env-file", str(env), "--fail-on", "critical")
    res = sqlite_db.run(*args, TTY_COMPATIBLE="1", COLUMNS=str(width))
    piped = sqlite_db.run(*args)
    assert res.exit_code == piped.exit_code == 12, res
    lines = res.stdout.splitlines()
    assert all(len(ln) <= width for ln in lines)
    assert any(len(ln) > width for ln in piped.stdout.splitlines())  # something did have to wrap
    assert "".join(res.stdout.split()) == "".join(piped.stdout.split())  # nothing cut, nothing added
    in_finding = False
    for ln in lines:
        if not ln or TOP_LEVEL.match(ln):
            in_finding = False
        elif FINDING.match(ln):
            in_finding = True
        elif in_finding:
            assert ln.startswith(" " * 6), f"a finding's line wrapped back under its id:\n{res.stdout}"
        else:
            assert ln.startswith(" "), f"a line wrapped back to column 0:\n{res.stdout}"


def test_the_check_receipt_and_its_talk_keep_their_shape(sqlite_db: LangflowDB) -> None:
    wrong = "another-key-of-forty-characters-xxxxxxxx"
    res = sqlite_db.run("secrets", "check", TTY_COMPATIBLE="1", COLUMNS="80", LANGFLOW_SECRET_KEY=wrong)
    piped = sqlite_db.run("secrets", "check", LANGFLOW_SECRET_KEY=wrong)
    assert res.exit_code == piped.exit_code == 11, res
    assert all(len(ln) <= 80 for ln in res.stdout.splitlines())
    assert "undecryptable" in res.stdout.splitlines()[1]  # variable.value: "N undecryptable, ..."
    talk = [ln for ln in res.stderr.splitlines() if not ln.startswith(("Warning: ", "Error: "))]
    assert all(len(ln) <= 80 for ln in talk)
    assert talk[0].startswith("secret key: ") and talk[1].startswith(" " * len("secret key: "))
    example = next(i for i, ln in enumerate(talk) if ln.startswith("  variable.value undecryptable: "))
    assert talk[example + 1].startswith(" " * 6) and talk[example + 1][6] != " "
    piped_talk = [ln for ln in piped.stderr.splitlines() if not ln.startswith(("Warning: ", "Error: "))]
    assert "".join("".join(talk).split()) == "".join("".join(piped_talk).split())


def test_the_rotation_receipt_fits_80_columns_and_pipes_every_count(sqlite_db: LangflowDB) -> None:
    args = ("secrets", "rotate", "--generate", "--dry-run")
    res = on_terminal(sqlite_db, *args, width=80)
    stores = [s for s in sqlite_db.run(*args, "--json").json["stores"] if s["present"]]
    lines = res.stdout.splitlines()
    assert lines[0] == "dry run (nothing written)" and lines[1].split() == ["STORE", "ROWS", "COUNTS"]
    assert len(lines) == 2 + len(stores) and all(len(ln) <= 80 for ln in lines)
    for line, store in zip(lines[2:], stores, strict=True):
        assert line.split()[:2] == [store["store"], str(store["rows"])]
        assert (f"{store['reencrypted']} re-encrypted" in line) == bool(store["reencrypted"])
    piped = sqlite_db.run(*args)
    assert [ln.split("\t")[:3] for ln in piped.stdout.splitlines()] == [
        [s["store"], str(s["rows"]), str(s["reencrypted"])] for s in stores
    ]
    assert "dry run (nothing written)\n" in piped.stderr  # a title is talk when piped
