"""`snakemake --unlock` is refused while a Snakemake process works in the run folder."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from varnode.runtime.live_runs import (
    is_snakemake,
    live_snakemake_runs,
    refuse_unlock_beside_live_runs,
)


@pytest.fixture
def live_run(tmp_path: Path):
    """A process named like a Snakemake run (argv[0] 'snakemake'), working in tmp_path."""
    process = subprocess.Popen(["bash", "-c", "exec -a snakemake sleep 60"], cwd=tmp_path)
    yield process
    process.kill()
    process.wait()


def test_unlock_beside_a_live_run_is_refused_naming_it(live_run, tmp_path: Path) -> None:
    for _ in range(50):  # until bash has exec'd into the renamed sleep
        if live_snakemake_runs(tmp_path):
            break
        time.sleep(0.05)
    assert live_snakemake_runs(tmp_path) == [live_run.pid]
    message = refuse_unlock_beside_live_runs(["snakemake", "--unlock"], tmp_path)
    assert message and f"process(es) {live_run.pid} are running in {tmp_path.resolve()}" in message
    assert refuse_unlock_beside_live_runs(["snakemake", "--cores", "2"], tmp_path) is None


def test_unlock_of_an_idle_folder_is_allowed(tmp_path: Path) -> None:
    assert refuse_unlock_beside_live_runs(["snakemake", "--unlock"], tmp_path) is None


def test_invocations_that_take_no_lock_do_not_count() -> None:
    assert is_snakemake(["/venv/bin/python", "-m", "snakemake", "--cores", "2"])
    assert is_snakemake(["/venv/bin/python", "/venv/bin/snakemake", "--cores", "2"])
    assert not is_snakemake(["python", "-m", "snakemake", "--dry-run"])
    assert not is_snakemake(["python", "-m", "varnode", "report"])
