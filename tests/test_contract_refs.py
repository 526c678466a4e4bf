"""Every citation of Langflow's behaviour points inside the repository: at ``docs/langflow/``.

The facts lfadmin relies on used to live in notes outside the repository, which a clone cannot
open; code, tests and help text cited them by section. These checks keep it that way: no
old-style citation anywhere, and every ``docs/langflow/<page>.md §N`` (and every link into
``docs/langflow/``) names a page and a section that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
SCANNED = ["lfadmin", "tests", "bench", "scripts", "docs"]
SKIP_PARTS = {"__pycache__", "fixtures", "screenshots", "data"}
SUFFIXES = {".py", ".md", ".sh", ".toml", ".txt", ""}

# The notes' names: CONTRACT.md / SETTINGS.md / RUNNING.md and their appendices.
OLD = re.compile(
    r"\bCONTRACT(?:\.md)?\b|\bSETTINGS\.md\b|\bSETTINGS §|\bAppendix [A-E]\b|RUNNING\.md|/work/shared"
    r"|langflow-releases\.md"
)
CITATION = re.compile(r"docs/langflow/([a-z-]+\.md)(?: §(\d+)(?:\.(\d+))?(?:-§(\d+))?)?")
LINK = re.compile(r"\]\(((?:[^()\s#]*/)?[a-z-]+\.md)(?:#([^)\s]+))?\)")
HEADING = re.compile(r"^(#{2,3}) (\d+)(?:\.(\d+))?[. ]", re.M)


def _files() -> list[Path]:
    found = [ROOT / "README.md"]
    for name in SCANNED:
        for p in sorted((ROOT / name).rglob("*")):
            rel = p.relative_to(ROOT)
            if p.is_file() and p.suffix in SUFFIXES and not set(rel.parts) & SKIP_PARTS and p != HERE:
                found.append(p)
    return found


def _sections(page: Path) -> set[str]:
    """``§N`` / ``§N.M`` a page defines: its ``## N. Title`` and ``### N.M Title`` headings."""
    out = set()
    for m in HEADING.finditer(page.read_text(encoding="utf-8")):
        out.add(m.group(2) if m.group(3) is None else f"{m.group(2)}.{m.group(3)}")
    return out


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (but ``-``/``_``), spaces to ``-``."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def test_nothing_cites_the_notes_outside_the_repository() -> None:
    left = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _files()
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OLD.search(line)
    ]
    assert left == [], "cite docs/langflow/<page>.md §N instead:\n" + "\n".join(left)


def test_every_docs_langflow_citation_names_a_page_and_section() -> None:
    bad = []
    for p in _files():
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for m in CITATION.finditer(line):
                page = ROOT / "docs" / "langflow" / m.group(1)
                where = f"{p.relative_to(ROOT)}:{n}: {m.group(0)}"
                if not page.is_file():
                    bad.append(f"{where}: no such page")
                    continue
                sections = _sections(page)
                wanted = [m.group(2) if m.group(3) is None else f"{m.group(2)}.{m.group(3)}", m.group(4)]
                bad += [f"{where}: no §{s}" for s in wanted if s is not None and s not in sections]
    assert bad == []


@pytest.mark.parametrize("doc", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))])
def test_links_into_the_langflow_pages_resolve(doc: str) -> None:
    path = ROOT / doc
    bad = []
    for m in LINK.finditer(path.read_text(encoding="utf-8")):
        target = (path.parent / m.group(1)).resolve()
        if "docs/langflow" not in target.as_posix() and path.parent.name != "langflow":
            continue  # only links into or within docs/langflow/ are checked here
        if not target.is_file():
            bad.append(f"{m.group(0)}: no such file")
        elif m.group(2) and m.group(2) not in _anchors(target):
            bad.append(f"{m.group(0)}: no such heading")
    assert bad == []


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    assert OLD.search("keys (" + "CONTRACT" + " §6)") and OLD.search("SETTINGS" + ".md §9.2 D1")
    assert not OLD.search("docs/langflow/crypto.md §7")
    page = tmp_path / "p.md"
    page.write_text("# T\n\n## 1. One\n\n### 1.2 Sub\n\n## 2. `Two` things\n")
    assert _sections(page) == {"1", "1.2", "2"}
    assert "2-two-things" in _anchors(page) and _slug(" 3. The implicit `.env`") == "3-the-implicit-env"
    m = CITATION.search("see docs/langflow/settings.md §7-§9 here")
    assert m is not None and (m.group(1), m.group(2), m.group(4)) == ("settings.md", "7", "9")
