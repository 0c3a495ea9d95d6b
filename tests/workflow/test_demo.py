"""`make demo` without ../shared: a seeded simulated dataset runs through the pipeline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pysam
import pytest

from tests.conftest import REPO, snakemake, snakemake_env
from varnode.accuracy.haplotypes import match_haplotypes
from varnode.accuracy.variants import load

pytestmark = pytest.mark.workflow


def test_demo_runs_on_simulated_data_without_shared_folder(tmp_path: Path) -> None:
    # The shipped config points at ../shared/data, which does not exist from here.
    shutil.copytree(REPO / "config", tmp_path / "config")
    assert not (tmp_path / "../shared/data").exists()
    demo = tmp_path / "resources" / "demo"
    subprocess.run(
        [sys.executable, "-m", "varnode", "simulate", "--outdir", str(demo), "--seed", "1"],
        check=True,
        env=snakemake_env(),
    )
    snakemake(tmp_path, "--cores", "2", "--configfile", str(demo / "config.yaml"))

    samples = [line.split("\t")[0] for line in (demo / "samples.tsv").read_text().splitlines()]
    reference = str(demo / "reference.fa")
    for sample in samples[1:]:
        # Haplotype matching: bcftools writes a planted MNP/DELINS as several records.
        truth = load(str(demo / "truth" / f"{sample}.vcf.gz"), reference, None, None, False)
        vcf = tmp_path / "results" / "calls" / f"{sample}.bcftools.vcf.gz"
        called = load(str(vcf), reference, None, None, pass_only=False)
        fetch = pysam.FastaFile(reference).fetch
        outcome = match_haplotypes(truth, called, fetch, genotype=False).outcome
        recall = sum(outcome.truth_matched) / len(truth)
        precision = sum(outcome.query_matched) / len(called)
        assert recall >= 0.95, f"{sample}: recall {recall:.2f} of planted variants"
        assert precision >= 0.95, f"{sample}: precision {precision:.2f}"
