"""The pipeline through a real SLURM cluster: same results as a local run, retries, scancel.

Each Snakemake run here costs minutes (every SLURM job starts a nested Snakemake), so the
shared-data pipeline runs once through SLURM: started with retries off, one sample's
alignment job is cancelled with scancel, and the rerun must finish the pipeline with
outputs identical to a local run's.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PIPELINE_RUN, REPO, snakemake_env
from tests.slurm.conftest import cancel_all_jobs, slurm_snakemake, slurm_snakemake_command
from tests.workflow.same_outputs import without_creation_time

pytestmark = pytest.mark.slurm

FLAKY_SNAKEFILE = REPO / "tests" / "slurm" / "flaky" / "Snakefile"
# Files that record how and when they were made (paths, times), not what was computed.
# Run metadata: times, host, executor (the crate also holds each job's times).
RUN_SPECIFIC = ("results/report/", "results/ro-crate-metadata.json")


@dataclass(frozen=True)
class CancelledRun:
    workdir: Path
    cancelled_job: str
    first_log: str
    first_returncode: int
    rerun: subprocess.CompletedProcess


def running_job_whose_comment_has(text: str, process: subprocess.Popen, timeout_s: float) -> str:
    """The SLURM id of a running job whose comment (set by the plugin) contains `text`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        running = subprocess.run(
            ["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], capture_output=True, text=True
        ).stdout
        for line in running.splitlines():
            job_id, _, comment = line.partition(" ")
            if text in comment:
                return job_id
        time.sleep(0.2)
    raise AssertionError(f"no running SLURM job with {text!r} in its comment")


@pytest.fixture(scope="session")
def cancelled_then_resumed(slurm_cluster: None, make_workdir) -> CancelledRun:
    workdir = make_workdir("slurm", **PIPELINE_RUN)
    first_log = workdir / "first_run.log"
    with first_log.open("w") as log:
        process = subprocess.Popen(
            slurm_snakemake_command("--retries", "0"),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=snakemake_env(),
        )
        try:
            # The plugin comments a group job "rule_<group>_<its rules>".
            job = running_job_whose_comment_has("rule_alignment_", process, timeout_s=600)
            subprocess.run(["scancel", job], check=True)
            process.wait(timeout=600)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            cancel_all_jobs()
    rerun = slurm_snakemake(workdir)
    return CancelledRun(workdir, job, first_log.read_text(), process.returncode, rerun)


def content_digest(path: Path) -> str:
    """sha256 of a file; for a VCF, of its records and column header only (no ## lines,
    which hold dates and command lines with run paths)."""
    if path.name.endswith(".vcf.gz"):
        with gzip.open(path, "rt") as vcf:
            body = "".join(line for line in vcf if not line.startswith("##"))
        return hashlib.sha256(body.encode()).hexdigest()
    if path.parent.name == "export" and path.name == "manifest.json":
        document = json.dumps(without_creation_time(path), sort_keys=True)
        return hashlib.sha256(document.encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def final_outputs(workdir: Path) -> dict[str, str]:
    """Final VCFs and tables under results/, by relative path, with their content digest."""
    outputs = {}
    for path in sorted((workdir / "results").rglob("*")):
        relative = path.relative_to(workdir).as_posix()
        if not path.is_file() or relative.startswith(RUN_SPECIFIC):
            continue
        if path.name.endswith((".vcf.gz", ".tsv", ".json", ".txt")):
            outputs[relative] = content_digest(path)
    return outputs


def test_cancelled_job_is_reported_failed(cancelled_then_resumed: CancelledRun) -> None:
    run = cancelled_then_resumed
    assert run.first_returncode != 0
    assert "Error in group alignment" in run.first_log
    # The report points at the cancelled job's SLURM log.
    assert f"/{run.cancelled_job}.log (check log file(s) for error details)" in run.first_log
    assert "At least one job did not complete successfully" in run.first_log


def test_rerun_after_cancel_completes(cancelled_then_resumed: CancelledRun) -> None:
    run = cancelled_then_resumed
    assert run.rerun.returncode == 0, run.rerun.stderr[-5000:]
    for sample in ("NA12878", "testN", "testT"):
        assert (run.workdir / "results" / "aligned" / f"{sample}.bam").is_file()
    dry = slurm_snakemake(run.workdir, "--dry-run")
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_slurm_outputs_match_local_run(
    cancelled_then_resumed: CancelledRun, pipeline_run: Path
) -> None:
    local = final_outputs(pipeline_run)
    on_slurm = final_outputs(cancelled_then_resumed.workdir)
    assert any(name.endswith(".vcf.gz") for name in local), "no final VCFs in the local run"
    assert sorted(on_slurm) == sorted(local)
    differing = [name for name in local if on_slurm[name] != local[name]]
    assert not differing, f"SLURM and local outputs differ: {differing}"


def test_failed_job_log_is_kept_in_logs_slurm(cancelled_then_resumed: CancelledRun) -> None:
    run = cancelled_then_resumed
    # docs/cluster.md: logs/slurm/<rule_name or group_name>/[<wildcards>/]<SLURM job id>.log,
    # kept for failed jobs, removed for successful ones.
    logs = list((run.workdir / "logs" / "slurm").glob(f"group_alignment_*/{run.cancelled_job}.log"))
    assert len(logs) == 1, sorted((run.workdir / "logs" / "slurm").rglob("*.log"))
    assert "CANCELLED" in logs[0].read_text()


def test_job_failing_once_is_retried(tmp_path: Path, no_leftover_jobs: None) -> None:
    # No --retries here: the profile's retries are what is tested.
    run = slurm_snakemake(tmp_path, snakefile=FLAKY_SNAKEFILE)
    assert run.returncode == 0, run.stderr[-5000:]
    assert (tmp_path / "flaky.txt").read_text().strip() == "2000"
    assert "Trying to restart job" in run.stderr
    failed_logs = list((tmp_path / "logs" / "slurm" / "rule_flaky_step").glob("*.log"))
    assert len(failed_logs) == 1
    assert "simulated out-of-memory with 1000 MB" in failed_logs[0].read_text()
