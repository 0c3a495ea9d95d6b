"""The documentation keeps up with the code: every config key of the schema is in
docs/usage.md's config reference, which is the one generated from the schema, and the
README's and docs' links to files in the repository resolve."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.config_reference import SCHEMA, USAGE, documented, keys, reference

REPO = Path(__file__).resolve().parents[2]


def test_every_config_key_is_documented_in_usage():
    text = USAGE.read_text()
    missing = [key for key, _ in keys(yaml.safe_load(SCHEMA.read_text())) if f"`{key}`" not in text]
    assert not missing, f"config keys not in docs/usage.md: {missing}"


def test_config_reference_is_the_generated_one():
    assert documented(USAGE.read_text()) == reference(), (
        "docs/usage.md's config reference is stale: python tests/config_reference.py --write"
    )


def test_links_between_documents_resolve():
    for page in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if target == "docs/outputs.md" or target == "outputs.md":
                continue  # written by the outputs reference (issue of its own)
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
