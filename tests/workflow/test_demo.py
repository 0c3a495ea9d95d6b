"""`make demo` without ../shared: a seeded simulated dataset runs through the pipeline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cyvcf2 import VCF

from tests.conftest import REPO, snakemake, snakemake_env

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
    for sample in samples[1:]:
        truth = {(v.POS, v.REF, v.ALT[0]) for v in VCF(str(demo / "truth" / f"{sample}.vcf.gz"))}
        vcf = tmp_path / "results" / "calls" / f"{sample}.bcftools.vcf.gz"
        called = {(v.POS, v.REF, v.ALT[0]) for v in VCF(str(vcf))}
        recall = len(truth & called) / len(truth)
        precision = len(truth & called) / len(called)
        assert recall >= 0.95, f"{sample}: recall {recall:.2f} of planted variants"
        assert precision >= 0.95, f"{sample}: precision {precision:.2f}"
