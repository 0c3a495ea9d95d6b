"""Outputs of samples no longer in the sheet: found under results/ by their names.

The report's index page and the end-of-run summary both list them. Where a sample's
files are is the workflow's (common.smk's SAMPLE_OUTPUTS), given as a layout: `named_by`,
patterns of files whose name is a sample's (e.g. "aligned/{sample}.bam"), and
`outputs`, glob patterns of all of a sample's files (e.g. "calls/{sample}.*").
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from varnode.errors import VarnodeError


def owner(name: str, samples: Collection[str]) -> str | None:
    """The sample a path belongs to: the longest sample name it contains between
    separators (so 'S1.b.bam' is S1.b's, not S1's).

    Candidates are the path's pieces between separators, looked up in `samples` (pass a
    set): a search for every sample in every path would be quadratic in the cohort."""
    starts = [0] + [i + 1 for i, character in enumerate(name) if character in "/.-"]
    ends = [i for i, character in enumerate(name) if character in "/."] + [len(name)]
    matching = [name[s:e] for s in starts for e in ends if e > s and name[s:e] in samples]
    return max(matching, key=len, default=None)


def check_layout(layout: Any) -> dict[str, list[str]]:
    """A sample-output layout: `named_by` and `outputs`, lists of patterns over {sample}."""
    ok = isinstance(layout, dict) and set(layout) == {"named_by", "outputs"}
    patterns = [p for key in ("named_by", "outputs") for p in (layout or {}).get(key, [])]
    if not ok or not all(isinstance(p, str) and "{sample}" in p for p in patterns):
        raise VarnodeError(
            'sample-output layout: expected {"named_by": [...], "outputs": [...]},'
            f" patterns holding {{sample}}; got {json.dumps(layout)[:120]}"
        )
    return layout


def named_samples(results: Path, named_by: list[str]) -> set[str]:
    """The samples that files under `results` are named after."""
    named = set()
    for pattern in named_by:
        before, _, after = pattern.partition("{sample}")
        regex = re.compile(f"^{re.escape(before)}(?P<sample>.+){re.escape(after)}$")
        for path in results.glob(pattern.replace("{sample}", "*")):
            found = regex.match(path.relative_to(results).as_posix())
            if found:
                named.add(found["sample"])
    return named


def stale_outputs(
    results: Path, samples: list[str], layout: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Files under `results` of samples that are not in the sheet (any longer)."""
    layout = check_layout(layout)
    stale = sorted(named_samples(results, layout["named_by"]) - set(samples))
    everyone = set(stale + list(samples))
    outputs: dict[str, list[str]] = {}
    for sample in stale:
        files = {
            path
            for pattern in layout["outputs"]
            for path in results.glob(pattern.format(sample=glob_escape(sample)))
            if path.is_file() and owner(path.relative_to(results).as_posix(), everyone) == sample
        }
        outputs[sample] = sorted(str(path) for path in files)
    return outputs


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
