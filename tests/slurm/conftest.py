"""A real single-node SLURM cluster on localhost, and Snakemake runs through it.

The cluster (tests/slurm/cluster.sh, packages from tests/slurm/install.sh) is started once
per session and stopped at its end. Runs use the shipped profile workflow/profiles/slurm
plus the options this test cluster needs: it has no slurmdbd, so job states come from
squeue, checked right after submission instead of after the plugin's default 40 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, snakemake_env

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm"
NODE_CPUS = len(os.sched_getaffinity(0))
CLUSTER_OPTIONS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "1",
    # The node has few CPUs: cap each cluster job (a group included) at what it has.
    "--cores",
    str(NODE_CPUS),
]
# Snakemake ignores SIGTERM while it waits on cluster jobs, hence the KILL after 10 s.
RUN_TIMEOUT_S = 1800


def slurm_snakemake_command(*args: str, snakefile: Path = REPO / "Snakefile") -> list[str]:
    return [
        "timeout",
        "-k",
        "10",
        str(RUN_TIMEOUT_S),
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile),
        "--workflow-profile",
        str(SLURM_PROFILE),
        *CLUSTER_OPTIONS,
        *args,
    ]


def slurm_snakemake(
    workdir: Path, *args: str, snakefile: Path = REPO / "Snakefile"
) -> subprocess.CompletedProcess:
    """Run Snakemake from `workdir` (SLURM logs go under it) with the slurm profile."""
    return subprocess.run(
        slurm_snakemake_command(*args, snakefile=snakefile),
        cwd=workdir,
        capture_output=True,
        text=True,
        env=snakemake_env(),
    )


def cancel_all_jobs() -> None:
    """A killed Snakemake leaves its SLURM jobs behind; the test cluster is ours alone."""
    jobs = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout
    if jobs.split():
        subprocess.run(["scancel", *jobs.split()], check=False)


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[None]:
    if shutil.which("sinfo") is None or shutil.which("slurmctld") is None:
        pytest.skip("SLURM is not installed (no sinfo/slurmctld): run tests/slurm/install.sh")
    started = subprocess.run([str(CLUSTER), "up"], capture_output=True, text=True)
    if started.returncode != 0:
        subprocess.run([str(CLUSTER), "down"], check=False)
        pytest.fail(f"tests/slurm/cluster.sh up failed:\n{started.stderr}")
    try:
        yield
    finally:
        subprocess.run([str(CLUSTER), "down"], check=False)


@pytest.fixture
def no_leftover_jobs(slurm_cluster: None) -> Iterator[None]:
    yield
    cancel_all_jobs()
