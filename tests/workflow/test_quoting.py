"""Paths with spaces, quotes and shell syntax are text: the run works, nothing is executed.

Sample sheets come from a LIMS or from submitters: a `$(...)` or backtick in a FASTQ path
must never run. The run below uses a workdir, a reference and FASTQ folders whose names
hold spaces, both quote characters and command substitutions, and must produce the same
calls as the clean run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, snakemake
from tests.workflow.same_outputs import content, final_outputs

pytestmark = pytest.mark.workflow

HOSTILE = "dir with spaces, 'single' \"double\" $(touch PWNED) `touch PWNED`"


def hostile_workdir(tmp_path: Path, clean: Path) -> Path:
    """The clean run's config, with every input copied under a hostile folder name."""
    inputs = tmp_path / f"inputs {HOSTILE}"
    inputs.mkdir()
    workdir = tmp_path / f"run {HOSTILE}"
    shutil.copytree(clean / "config", workdir / "config")
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    fasta = inputs / "genome $(touch PWNED).fa"  # no .fai beside it: built at parse time
    shutil.copyfile(config["reference"]["fasta"], fasta)
    config["reference"]["fasta"] = str(fasta)
    config["samples"] = "config/samples 'sheet'.tsv"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    header, *rows = (workdir / "config" / "samples.tsv").read_text().splitlines()
    for number, row in enumerate(rows):
        fields = row.split("\t")
        for column in (3, 4):  # fq1, fq2
            copy = inputs / f"$(touch PWNED) {Path(fields[column]).name}"
            shutil.copyfile(fields[column], copy)
            fields[column] = str(copy)
        rows[number] = "\t".join(fields)
    (workdir / "config" / "samples.tsv").unlink()
    (workdir / config["samples"]).write_text("\n".join([header, *rows]) + "\n")
    return workdir


def pwned(tmp_path: Path) -> list[Path]:
    """Files a substitution would have made: in a job's folder, the inputs' or the repo's."""
    return [*tmp_path.rglob("PWNED"), *REPO.glob("PWNED")]


def test_hostile_paths_are_text_and_give_the_clean_calls(
    tmp_path: Path, bcftools_run: Path
) -> None:
    workdir = hostile_workdir(tmp_path, bcftools_run)
    snakemake(workdir, "--cores", "2")
    assert not pwned(tmp_path)
    ours, clean = final_outputs(workdir), final_outputs(bcftools_run)
    assert ours.keys() == clean.keys()
    for name in ("calls/NA12878.bcftools.vcf.gz", "cohort/cohort.vcf.gz", "aligned/testN.bam"):
        assert content(ours[name]) == content(clean[name]), name


def test_a_missing_hostile_path_is_named_and_not_run(tmp_path: Path, bcftools_run: Path) -> None:
    workdir = hostile_workdir(tmp_path, bcftools_run)
    sheet = next((workdir / "config").glob("samples*.tsv"))
    missing = f"{tmp_path}/$(touch PWNED)/`touch PWNED` 'R1'.fastq.gz"
    header, first, *rest = sheet.read_text().splitlines()
    fields = first.split("\t")
    fields[3] = missing
    sheet.write_text("\n".join([header, "\t".join(fields), *rest]) + "\n")
    result = snakemake(workdir, "--dry-run", "--cores", "1", check=False)
    assert result.returncode != 0
    assert f"file not found: {missing}" in result.stderr + result.stdout
    assert not pwned(tmp_path)
