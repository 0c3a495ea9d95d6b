"""A run killed mid-way resumes: finished jobs are kept, interrupted ones are redone."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cyvcf2 import VCF

from tests.conftest import PROFILE, SNAKEMAKE, snakemake, snakemake_env

pytestmark = pytest.mark.workflow


def incomplete_outputs(workdir: Path) -> set[Path]:
    """Outputs Snakemake marked as being written when it died (.snakemake/incomplete)."""
    markers = (workdir / ".snakemake" / "incomplete").glob("*")
    return {workdir / base64.b64decode(marker.name).decode() for marker in markers}


def output_mtimes(workdir: Path) -> dict[Path, int]:
    return {
        path: path.stat().st_mtime_ns
        for folder in ("results", "resources")
        for path in (workdir / folder).rglob("*")
        if path.is_file() and not path.is_symlink()
    }


def test_killed_run_resumes_without_redoing_finished_jobs(make_workdir) -> None:
    workdir = make_workdir("resume", callers=["bcftools"])
    process = subprocess.Popen(
        [*SNAKEMAKE, "--directory", str(workdir), *PROFILE, "--cores", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=snakemake_env(),
        start_new_session=True,
    )
    # Kill once the reference is indexed and alignment is under way: some jobs are
    # finished, others are writing their outputs.
    deadline = time.monotonic() + 120
    aligned = workdir / "results" / "aligned"
    while not list(aligned.glob("*.bam")) and process.poll() is None:
        assert time.monotonic() < deadline, "pipeline did not start aligning"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # Snakemake and its jobs, as a node crash would
    process.wait()
    assert process.returncode == -signal.SIGKILL

    interrupted = incomplete_outputs(workdir)
    finished_before = {
        path: mtime for path, mtime in output_mtimes(workdir).items() if path not in interrupted
    }
    assert finished_before, "nothing had finished before the kill"
    assert not (workdir / "results" / "calls" / "NA12878.bcftools.vcf.gz.tbi").exists()

    # A killed Snakemake leaves its lock; the documented recovery is --unlock, then rerun.
    snakemake(workdir, "--unlock")
    rerun = snakemake(workdir, "--cores", "2")
    assert rerun.returncode == 0
    after = output_mtimes(workdir)
    redone = sorted(str(p) for p, t in finished_before.items() if p in after and after[p] != t)
    assert not redone, f"finished outputs were rebuilt: {redone}"
    for path in interrupted:
        if path.exists():
            assert after[path] > time.time_ns() - 10 * 60 * 10**9
            assert path not in finished_before
    for sample in ("NA12878", "testN", "testT"):
        bam = workdir / "results" / "aligned" / f"{sample}.bam"
        subprocess.run(["samtools", "quickcheck", str(bam)], check=True)
        vcf = workdir / "results" / "calls" / f"{sample}.bcftools.vcf.gz"
        assert sum(1 for _ in VCF(str(vcf))) > 0
    nothing_left = snakemake(workdir, "--dry-run", "--cores", "2").stdout
    assert "Nothing to be done" in nothing_left
