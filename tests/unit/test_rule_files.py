"""The rule files' shape: included in the flow's order, each using only names defined by
the Snakefile's prelude or by the files included before it; functions only in common.smk."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = (REPO / "Snakefile").read_text()
INCLUDED = re.findall(r'^include: "(workflow/rules/[^"]+)"', SNAKEFILE, re.M)


def code(path: str) -> str:
    """The file without comments and docstrings (names in them are not uses)."""
    text = re.sub(r'""".*?"""', "", (REPO / path).read_text(), flags=re.S)
    return re.sub(r"#.*", "", text)


def defined(text: str) -> set[str]:
    return {a or b for a, b in re.findall(r"^(?:def|class)\s+(\w+)|^(\w+)\s*\+?=", text, re.M)}


def test_every_rule_file_is_included():
    on_disk = {f"workflow/rules/{path.name}" for path in (REPO / "workflow/rules").glob("*.smk")}
    assert set(INCLUDED) == on_disk
    assert INCLUDED[0] == "workflow/rules/common.smk"


def test_no_rule_file_uses_a_name_defined_in_a_later_file():
    texts = {path: code(path) for path in INCLUDED}
    names = {path: defined(text) for path, text in texts.items()}
    for position, path in enumerate(INCLUDED):
        earlier = set().union(*(names[p] for p in INCLUDED[: position + 1]))
        later = set().union(*(names[p] for p in INCLUDED[position + 1 :])) - earlier
        used = set(re.findall(r"\b[A-Za-z_]\w*\b", texts[path]))
        assert not used & later, f"{path} uses {sorted(used & later)}, defined later"


def test_functions_live_in_common_smk_only():
    for path in INCLUDED[1:]:
        assert not re.search(r"^def ", code(path), re.M), f"{path} defines a function"
