"""Version numbers read from tools' own version output (run metadata, MultiQC)."""

from __future__ import annotations

import re

from varnode.errors import VarnodeError

VERSION_NUMBER = re.compile(r"\bv?(\d+(?:\.\d+)+[\w.+-]*)")


def parse_tool_version(tool: str, text: str) -> str:
    """The version number in a tool's version output: from the first line naming the tool
    or the word 'version' (bwa prints its usage; freebayes prints 'version:  v1.3.6')."""
    for line in text.splitlines():
        lowered = line.lower()
        if tool.lower() in lowered or "version" in lowered:
            match = VERSION_NUMBER.search(line.split(tool, 1)[-1] if tool in line else line)
            if match:
                return match.group(1)
    raise VarnodeError(f"{tool}: no version number in its version output: {text[:200]!r}")
