"""A run killed at any stage resumes to the same outputs as a clean run.

One workdir is killed (SIGKILL to Snakemake and all its jobs, as a node crash would) once
per stage, at a seeded random moment after the stage's first job starts: alignment,
per-shard calling, gather, cohort shards, cohort statistics, report. Each earlier stage
runs with `--until`, so a later stage is never finished before its turn. After every kill
Snakemake's incomplete markers are deleted: resuming must not depend on them (they are
skipped for jobs planned after a checkpoint, and a crash can lose them).
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROFILE, SNAKEMAKE, snakemake, snakemake_env
from tests.workflow.same_outputs import damaged_finals, differences, final_outputs

pytestmark = pytest.mark.workflow

# (stage, the rule whose first job start arms the kill, --until rules or none: run all)
STAGES = [
    ("alignment", "align_reads", ["align_reads"]),
    ("per-shard calling", "call_variants_bcftools", ["call_variants_bcftools"]),
    ("gather", "gather_bcftools_shards", ["gather_bcftools_shards"]),
    ("cohort shards", "merge_cohort_shard", ["merge_cohort_shard"]),
    ("cohort statistics", "check_cohort_samples", ["check_cohort_samples", "estimate_relatedness"]),
    ("report", "report_html", []),
]


def run_until_killed(workdir: Path, rule: str, until: list[str], delay: float) -> float:
    """Start a run, SIGKILL its process group `delay` s after `rule` starts; kill time."""
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
    killed_at = time.time()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended before the kill ({rule})"
    return killed_at


def interrupted(workdir: Path) -> set[Path]:
    """Outputs of the jobs a kill interrupted: those Snakemake marked as being written,
    and those whose partial file or staging folder was left behind."""
    markers = (workdir / ".snakemake" / "incomplete").glob("*")
    found = {workdir / base64.b64decode(marker.name).decode() for marker in markers}
    for partial in (workdir / "results").rglob(".partial*"):
        name = partial.name.removeprefix(".partial.")
        found.add(partial.parent / name if name != ".partial" else partial.parent)
    return found


def test_kill_at_every_stage_then_resume_gives_the_clean_outputs(
    make_workdir, bcftools_run: Path
) -> None:
    workdir = make_workdir("resume", callers=["bcftools"])
    chance = random.Random(12)
    rebuilt_after: dict[Path, float] = {}
    for stage, rule, until in STAGES:
        killed_at = run_until_killed(workdir, rule, until, chance.uniform(0.0, 0.4))
        assert not damaged_finals(workdir), f"killed during {stage}: {damaged_finals(workdir)}"
        for path in interrupted(workdir):
            rebuilt_after.setdefault(path, killed_at)
        shutil.rmtree(workdir / ".snakemake" / "incomplete", ignore_errors=True)
        snakemake(workdir, "--unlock")

    before = {name: path.stat().st_mtime_ns for name, path in final_outputs(workdir).items()}
    snakemake(workdir, "--cores", "2")
    # A job killed after it finished but before Snakemake removed its temp() inputs leaves
    # them behind (Snakemake never revisits them): the documented clean-up removes them.
    snakemake(workdir, "--delete-temp-output", "--cores", "1")

    assert not differences(workdir, bcftools_run)
    # Interrupted final outputs were rebuilt after their kill (temp() ones are gone, used).
    kept = {workdir / "results" / name for name in final_outputs(bcftools_run)}
    rebuilt = {path: killed for path, killed in rebuilt_after.items() if path in kept}
    assert rebuilt, f"no kill interrupted a job writing a final output: {rebuilt_after}"
    for path, killed_at in rebuilt.items():
        assert path.stat().st_mtime > killed_at, f"{path} not rebuilt"
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
