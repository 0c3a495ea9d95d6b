"""A run killed at any stage resumes to the same outputs as a clean run.

One workdir is killed (SIGKILL to Snakemake and all its jobs, as a node crash would) once
per stage, at a seeded random moment after the stage's first job starts: alignment,
per-shard calling, gather, cohort shards, cohort statistics, report. Each earlier stage
runs with `--until`, so a later stage is never finished before its turn. After every kill
Snakemake's incomplete markers are deleted: resuming must not depend on them (they are
skipped for jobs planned after a checkpoint, and a crash can lose them).

The jobs a kill interrupted are read from the killed run's own log (started, not
finished), not from the partial files and markers whose handling is under test: each of
their outputs must be rebuilt after the kill (its modification time is later than the
kill), unless it was already complete at its final name when the kill came.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROFILE, SNAKEMAKE, snakemake, snakemake_env
from tests.workflow.same_outputs import (
    TIMESTAMPED,
    content,
    damaged_finals,
    differences,
    final_outputs,
)

pytestmark = pytest.mark.workflow

# (stage, the rule whose first job start arms the kill, --until rules or none: run all)
STAGES = [
    ("alignment", "align_reads", ["align_reads"]),
    ("per-shard calling", "call_variants_bcftools", ["call_variants_bcftools"]),
    ("gather", "gather_bcftools_shards", ["gather_bcftools_shards"]),
    ("cohort shards", "merge_cohort_shard", ["merge_cohort_shard"]),
    ("cohort statistics", "check_sample_qc", ["check_sample_qc", "estimate_relatedness"]),
    ("report", "report_html", []),
]


@dataclass
class Kill:
    at_ns: int  # time.time_ns() of the kill
    log: str  # what Snakemake printed up to the kill


def run_until_killed(workdir: Path, rule: str, until: list[str], delay: float) -> Kill:
    """Start a run, SIGKILL its process group `delay` s after `rule` starts."""
    command = [*SNAKEMAKE, "--directory", str(workdir), *PROFILE, "--cores", "2"]
    process = subprocess.Popen(
        [*command, *(["--until", *until] if until else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=snakemake_env(),
        start_new_session=True,
    )
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.strip() in (f"rule {rule}:", f"localrule {rule}:"):
            break
    else:
        process.wait()
        raise AssertionError(f"{rule} never started:\n{''.join(seen[-40:])}")
    time.sleep(delay)
    killed_at = time.time_ns()
    os.killpg(process.pid, signal.SIGKILL)
    seen.append(process.stdout.read())  # printed before the kill, still in the pipe
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended before the kill ({rule})"
    return Kill(killed_at, "".join(seen))


def interrupted(workdir: Path, log: str) -> set[Path]:
    """Outputs of the jobs the killed run started and did not finish, from its log."""
    started: dict[str, list[str]] = {}
    outputs: list[str] = []
    for line in log.splitlines():
        field, _, value = line.strip().partition(": ")
        if line.startswith(("rule ", "localrule ")):
            outputs = []
        elif field == "output":
            outputs = value.split(", ")
        elif field == "jobid" and line.startswith(" "):
            started[value] = outputs
    finished = {line.split()[2] for line in log.splitlines() if line.startswith("Finished jobid: ")}
    return {
        workdir / path for job, paths in started.items() if job not in finished for path in paths
    }


def test_kill_at_every_stage_then_resume_gives_the_clean_outputs(
    make_workdir, bcftools_run: Path
) -> None:
    workdir = make_workdir("resume", callers=["bcftools"])
    chance = random.Random(12)
    # Interrupted output -> (its last kill, the stage, its content if it was at its final
    # name then: a job killed after writing it but before Snakemake noted the end).
    kills: dict[Path, tuple[int, str, object]] = {}
    for stage, rule, until in STAGES:
        kill = run_until_killed(workdir, rule, until, chance.uniform(0.0, 0.4))
        assert not damaged_finals(workdir), f"killed during {stage}: {damaged_finals(workdir)}"
        for path in interrupted(workdir, kill.log):
            present = content(path) if path.is_file() else None
            kills[path] = (kill.at_ns, stage, present)
        shutil.rmtree(workdir / ".snakemake" / "incomplete", ignore_errors=True)
        snakemake(workdir, "--unlock")

    before = {name: path.stat().st_mtime_ns for name, path in final_outputs(workdir).items()}
    snakemake(workdir, "--cores", "2")
    # A job killed after it finished but before Snakemake removed its temp() inputs leaves
    # them behind (Snakemake never revisits them): the documented clean-up removes them.
    snakemake(workdir, "--delete-temp-output", "--cores", "1")

    assert not differences(workdir, bcftools_run)
    # Interrupted final outputs were rebuilt after their kill (temp() ones are gone, used),
    # unless complete at their final name when it came.
    clean = final_outputs(bcftools_run)
    kept = {workdir / "results" / name: clean[name] for name in clean}
    checked = {path: kill for path, kill in kills.items() if path in kept}
    assert checked, f"no kill interrupted a job writing a final output: {sorted(kills)}"
    for path, (killed_at, stage, present) in checked.items():
        rebuilt = path.stat().st_mtime_ns > killed_at
        # A page with its run's time cannot match the clean run's; it was published whole.
        same = TIMESTAMPED.search(str(path.relative_to(workdir / "results")))
        complete = present is not None and (same or present == content(kept[path]))
        assert rebuilt or complete, f"{path}: interrupted by the {stage} kill, not rebuilt"
    assert not list((workdir / "results").rglob(".partial*")), "partial files left"
    # The last kill was in the report: everything before it was finished and is kept.
    redone = [
        name
        for name, mtime in before.items()
        if not name.startswith("report/")
        and (workdir / "results" / name).stat().st_mtime_ns != mtime
    ]
    assert not redone, f"finished outputs were rebuilt: {redone}"
    assert "Nothing to be done" in snakemake(workdir, "--dry-run", "--cores", "2").stdout
