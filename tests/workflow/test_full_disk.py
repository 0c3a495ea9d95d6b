"""A full disk fails the job that could not write; after space is freed, the rerun
rebuilds exactly the jobs whose outputs were not validated, and ends as a clean run.

The run's folder is on a small tmpfs, nearly filled before the run: fastp, `--version`
commands and bcftools exit 0 on write errors, so only the output checks stop them.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import snakemake
from tests.workflow.same_outputs import damaged_finals, differences, final_outputs

pytestmark = pytest.mark.workflow

# Room for a few jobs' outputs (the trimmed reads of one sample are ~0.6 MB), not the run's.
FREE_BYTES = 1_500_000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    filler = disk / "filler"
    stats = os.statvfs(disk)
    with filler.open("wb") as handle:
        handle.write(bytes(stats.f_bavail * stats.f_frsize - leave))
    return filler


def executed_outputs(log: str) -> set[str]:
    """Outputs of every job a Snakemake run started (its printed job blocks)."""
    outputs, in_job = set(), False
    for line in log.splitlines():
        if re.match(r"^(local)?rule \w+:$", line):
            in_job = True
        elif in_job and line.strip().startswith("output:"):
            outputs.update(part.strip() for part in line.split(":", 1)[1].split(","))
            in_job = False
    return outputs


def test_full_disk_fails_then_rerun_rebuilds_only_what_was_not_validated(
    small_disk: Path, make_workdir, bcftools_run: Path
) -> None:
    workdir = small_disk / "run"
    workdir.mkdir()
    config = make_workdir("full-disk-config", callers=["bcftools"]) / "config"
    subprocess.run(["cp", "-r", str(config), str(workdir)], check=True)
    filler = fill(small_disk, FREE_BYTES)

    failed = snakemake(workdir, "--cores", "2", check=False)
    assert failed.returncode != 0
    assert "No space left on device" in failed.stderr or "Error in rule" in failed.stderr
    assert not damaged_finals(workdir), "a final name holds an unchecked file"
    validated = {
        str(path.relative_to(workdir))
        for path in (workdir / "results").rglob("*")
        if path.is_file() and ".partial" not in str(path)
    }
    assert validated, "nothing was finished before the disk filled up"

    filler.unlink()
    snakemake(workdir, "--unlock")
    rerun = snakemake(workdir, "--cores", "2")
    executed = executed_outputs(rerun.stdout + rerun.stderr)
    assert "results/report/index.html" in executed  # the job list was read
    redone = validated & executed
    assert not redone, f"validated outputs were rebuilt: {sorted(redone)}"
    assert not differences(workdir, bcftools_run)
    assert final_outputs(workdir).keys() == final_outputs(bcftools_run).keys()
