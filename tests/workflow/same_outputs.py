"""Compare a run's final outputs with a clean run's: same content, whatever the run went
through. Outputs that embed the time they were written are compared by content."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from varnode.common.publish import OutputError, check

# Run times and dates: run.json, the HTML pages (report, MultiQC, fastp) and MultiQC's
# data folder. The report's numbers are compared through its tables/ instead. The run's
# crate is run metadata too: besides times it tells how the run went (a job resumed
# after a kill, a temporary file a kill left); two clean runs' crates are compared by
# test_reproducibility.py.
TIMESTAMPED = re.compile(r"(^report/run\.json$|\.html$|^report/multiqc/|^ro-crate-metadata\.json$)")
# Indexes point into the compressed bytes, which differ with the header's command dates;
# every index is loaded by the check that published it.
INDEXES = (".tbi", ".csi", ".bai", ".crai")
# Header lines that record when and how a tool ran.
PROVENANCE = re.compile(r"^##(fileDate|.*(Command|Version)=)")


def final_outputs(workdir: Path) -> dict[str, Path]:
    """Files under results/ by relative path, partial files and staging folders aside."""
    results = workdir / "results"
    return {
        str(path.relative_to(results)): path
        for path in sorted(results.rglob("*"))
        if path.is_file() and ".partial" not in str(path.relative_to(results))
    }


def _lines(command: list[str]) -> list[str]:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()


def content(path: Path) -> object:
    """What must match between runs: records and header (minus provenance), or bytes."""
    name = path.name
    if name.endswith((".vcf.gz", ".bcf")):
        header = [line for line in _lines(["bcftools", "view", "-h", str(path)])]
        return (
            [line for line in header if not PROVENANCE.match(line)],
            _lines(["bcftools", "view", "-H", str(path)]),
        )
    if name.endswith(".bam"):
        return _lines(["samtools", "view", str(path)])  # every read, so the count too
    if path.parent.name == "export" and name == "manifest.json":
        return without_creation_time(path)
    return path.read_bytes()


def without_creation_time(manifest: Path) -> dict:
    """The node export's manifest minus `created`, its documented run-time field."""
    document = json.loads(manifest.read_text())
    document.pop("created", None)
    return document


def differences(workdir: Path, reference: Path) -> list[str]:
    """Outputs missing, extra or different in `workdir` compared with `reference`."""
    ours, theirs = final_outputs(workdir), final_outputs(reference)
    problems = [f"missing {name}" for name in sorted(theirs.keys() - ours.keys())]
    problems += [f"extra {name}" for name in sorted(ours.keys() - theirs.keys())]
    for name in sorted(ours.keys() & theirs.keys()):
        if TIMESTAMPED.search(name) or name.endswith(INDEXES):
            continue
        if content(ours[name]) != content(theirs[name]):
            problems.append(f"differs {name}")
    return problems


def damaged_finals(workdir: Path) -> list[str]:
    """Final names holding anything that fails its format's check."""
    damaged = []
    for name, path in final_outputs(workdir).items():
        try:
            check(path, path)
        except OutputError as error:
            damaged.append(f"{name}: {error}")
    return damaged
