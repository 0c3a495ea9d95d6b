"""The cohort's gVCF merge with real bcftools: more inputs than the descriptor limit.

`varnode merge-gvcfs` is run under `ulimit -n 48` on 80 seeded gVCFs: one
`bcftools merge` of all of them fails there, the tiered merge succeeds and writes the
same records as a single merge without the limit. Under a low argument limit (ARG_MAX)
the same gVCFs, given long paths, cannot be listed on a command line, and the merge
reads them from a list file (`@FILE`) as rule merge_cohort_shard passes them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import snakemake_env
from tests.gvcfgen import write_cohort

pytestmark = pytest.mark.workflow

LIMIT = 48
N_SAMPLES = 80
# Linux's argument limit (ARG_MAX) is a quarter of the stack limit: 1 MiB gives 256 KiB,
# which 80 paths of ~3,800 bytes (the length of 50,000 short ones) overrun.
STACK_KIB = 1024


def merge_command(fasta: Path, regions: Path, output: Path, gvcfs, fan_in: int) -> list[str]:
    return [
        sys.executable, "-m", "varnode", "merge-gvcfs", "--ref", str(fasta),
        "--regions", str(regions), "--fan-in", str(fan_in), "-o", str(output),
        *map(str, gvcfs),
    ]  # fmt: skip


def limited(command: list[str], limit: str = f"-n {LIMIT}") -> subprocess.CompletedProcess:
    """`command` in a shell under `ulimit {limit}` (default: LIMIT descriptors)."""
    script = f'ulimit {limit} && exec "$@"'
    return subprocess.run(
        ["bash", "-c", script, "limited", *command],
        capture_output=True,
        text=True,
        env=snakemake_env(),
    )


def records(path: Path) -> list[str]:
    shown = subprocess.run(
        ["bcftools", "view", "--no-version", "-H", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.splitlines()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gvcfs")
    fasta, gvcfs = write_cohort(folder, N_SAMPLES, length=5000)
    return folder, fasta, gvcfs


def test_one_merge_of_all_inputs_fails_under_the_limit(cohort) -> None:
    folder, fasta, gvcfs = cohort
    result = limited(
        ["bcftools", "merge", "--gvcf", str(fasta), "-Ob", "-o", str(folder / "all.bcf")]
        + [str(path) for path in gvcfs]
    )
    assert result.returncode != 0


def test_tiered_merge_under_the_limit_equals_one_merge(cohort) -> None:
    folder, fasta, gvcfs = cohort
    regions = folder / "regions.bed"
    tiered, single = folder / "tiered.bcf", folder / "single.bcf"
    result = limited(merge_command(fasta, regions, tiered, gvcfs, fan_in=0))
    assert result.returncode == 0, result.stderr
    assert "in 2 tier(s)" in result.stdout  # fan-in from the limit: 32 files a merge
    subprocess.run(
        merge_command(fasta, regions, single, gvcfs, fan_in=N_SAMPLES),
        check=True,
        env=snakemake_env(),
    )
    merged = records(tiered)
    assert len(merged) > 20
    assert merged == records(single)
    header = subprocess.run(
        ["bcftools", "query", "-l", str(tiered)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert header == [f"S{index:05d}" for index in range(N_SAMPLES)]
    # Only variant records are kept; every sample has a genotype at each (from its block).
    for line in merged:
        fields = line.split("\t")
        assert fields[4] != "."
        assert all(not sample.startswith("./.") for sample in fields[9:])


def test_a_cohort_past_the_argument_limit_merges_from_its_list(cohort) -> None:
    folder, fasta, gvcfs = cohort
    regions = folder / "regions.bed"
    deep = folder.joinpath(*["d" * 250] * 15)
    deep.mkdir(parents=True)
    linked = []
    for gvcf in gvcfs:
        for suffix in ("", ".tbi"):
            (deep / f"{gvcf.name}{suffix}").symlink_to(f"{gvcf}{suffix}")
        linked.append(deep / gvcf.name)
    listing = folder / "gvcfs.list"
    listing.write_text("".join(f"{path}\n" for path in linked))
    listed, direct = folder / "listed.bcf", folder / "direct.bcf"

    stack = f"-s {STACK_KIB}"
    on_command_line = limited(merge_command(fasta, regions, listed, linked, fan_in=0), stack)
    assert "Argument list too long" in on_command_line.stderr
    result = limited(merge_command(fasta, regions, listed, [f"@{listing}"], fan_in=0), stack)
    assert result.returncode == 0, result.stderr
    assert f"{N_SAMPLES} gVCFs merged in 1 tier(s)" in result.stdout
    subprocess.run(
        merge_command(fasta, regions, direct, gvcfs, fan_in=N_SAMPLES),
        check=True,
        env=snakemake_env(),
    )
    assert records(listed) == records(direct)
