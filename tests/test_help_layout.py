"""Help that reflows (issue 15): a docstring's paragraphs are paragraphs, its ``\\b`` examples verbatim.

Every command's ``--help`` is rendered at 60, 80 and 120 columns, as ``scripts/gen_docs.py``
renders it for the README; a prose line that ends although the next word would have fit on it
is a line break from the source file surviving into the terminal - a sentence cut in two.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = [60, 80, 120]

_DUMP = """
import json, sys
sys.path.insert(0, sys.argv[1])
import gen_docs
gen_docs.WIDTH = int(sys.argv[2])
gen_docs._pin_environment()
cli = gen_docs._cli()
print(json.dumps({" ".join(p): gen_docs._invoke(cli, [*p, "--help"]) for p, _ in gen_docs.commands(cli)}))
"""


def render(width: int) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, "-c", _DUMP, str(ROOT / "scripts"), str(width)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    helps: dict[str, str] = json.loads(proc.stdout)
    return helps


def premature_breaks(text: str, width: int) -> list[str]:
    """Pairs of prose lines in the description (above the first panel) where the first word of
    the second would have fit at the end of the first. Prose lines start with rich's one-space
    margin; examples (``\\b`` blocks) are indented further and may be as long as they are."""
    description = text.split("\n╭", 1)[0].splitlines()
    found = []
    for a, b in itertools.pairwise(description):
        prose = [ln.startswith(" ") and ln[1:2].strip() != "" for ln in (a, b)]
        if all(prose) and not a.strip().startswith("Usage:"):
            room = width - 1 - len(a.rstrip())
            if len(b.split()[0]) + 1 <= room:
                found.append(f"{a.rstrip()!r} / {b.strip()!r}")
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_no_help_line_breaks_inside_a_sentence_that_fit(width: int) -> None:
    helps = render(width)
    assert len(helps) > 20
    problems = {cmd or "lfadmin": p for cmd, text in helps.items() if (p := premature_breaks(text, width))}
    assert problems == {}
    for cmd, text in helps.items():
        assert all(len(line) <= width for line in text.splitlines()), cmd
        assert "\b" not in text  # the verbatim marker never reaches the screen


def test_the_checker_sees_a_hard_line_break() -> None:
    """The line breaks a docstring had before reflowing (``secrets rotate``, 80 columns)."""
    text = (
        " After the commit, knowledge-base sidecar keys are rewritten in place (atomic   \n"
        " per file;                                                                      \n"
        " not on 1.13, which ignores them), then the new key is written to --write-env / \n"
        "\n"
        "     lfadmin secrets rotate --generate --write-env /srv/langflow/.env           \n"
        " --write-config-dir                                                             \n"
    )
    assert premature_breaks(text, 80) == [
        "' per file;' / 'not on 1.13, which ignores them), then the new key is written to --write-env /'",
    ]


def test_reflow_joins_paragraphs_and_keeps_examples() -> None:
    from lfadmin.cli import reflow

    doc = """Summary line
    that goes on.

    A paragraph
    in two lines.

    \b
        lfadmin user list
        lfadmin user show alice
    """
    assert reflow(doc) == (
        "Summary line that goes on.\n\nA paragraph in two lines.\n\n"
        "\b    lfadmin user list\n\b    lfadmin user show alice"
    )
