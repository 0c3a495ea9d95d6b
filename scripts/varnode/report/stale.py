"""Outputs of samples no longer in the sheet: found under results/ by their names.

The report's index page and the end-of-run summary both list them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

# Where per-sample outputs live (glob patterns with {sample}); scanned for stale samples.
PER_SAMPLE_OUTPUTS = (
    "aligned/{sample}.*",
    "calls/{sample}.*",
    "qc/*/{sample}.*",
    "annotated/{sample}.*",
    "prioritised/{sample}.*",
    "accuracy/{sample}.*",
    "report/sample-{sample}.html",
    "report/stale/sample-{sample}.html",
)
# Files that name a sample: the alignments and the report's pages.
SAMPLE_NAMED = (
    re.compile(r"^aligned/(?P<sample>.+)\.(bam|cram)$"),
    re.compile(r"^report/(stale/)?sample-(?P<sample>.+)\.html$"),
)


def owner(name: str, samples: Collection[str]) -> str | None:
    """The sample a path belongs to: the longest sample name it contains between
    separators (so 'S1.b.bam' is S1.b's, not S1's).

    Candidates are the path's pieces between separators, looked up in `samples` (pass a
    set): a search for every sample in every path would be quadratic in the cohort."""
    starts = [0] + [i + 1 for i, character in enumerate(name) if character in "/.-"]
    ends = [i for i, character in enumerate(name) if character in "/."] + [len(name)]
    matching = [name[s:e] for s in starts for e in ends if e > s and name[s:e] in samples]
    return max(matching, key=len, default=None)


def stale_outputs(results: Path, samples: list[str]) -> dict[str, list[str]]:
    """Files under `results` of samples that are not in the sheet (any longer)."""
    named = set()
    for path in [*results.glob("aligned/*"), *results.glob("report/**/sample-*.html")]:
        relative = path.relative_to(results).as_posix()
        for pattern in SAMPLE_NAMED:
            found = pattern.match(relative)
            if found:
                named.add(found["sample"])
    stale = sorted(named - set(samples))
    everyone = set(stale + list(samples))
    outputs: dict[str, list[str]] = {}
    for sample in stale:
        files = {
            path
            for pattern in PER_SAMPLE_OUTPUTS
            for path in results.glob(pattern.format(sample=glob_escape(sample)))
            if path.is_file() and owner(path.relative_to(results).as_posix(), everyone) == sample
        }
        outputs[sample] = sorted(str(path) for path in files)
    return outputs


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
