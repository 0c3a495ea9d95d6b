"""Rule filter_variants in a real run: filtered calls, index and stats per sample and caller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyvcf2 import VCF

from tests.conftest import snakemake

pytestmark = pytest.mark.workflow


@pytest.mark.parametrize("caller", ["bcftools", "freebayes"])
def test_filtered_calls_keep_every_record_and_name_only_declared_filters(
    pipeline_run: Path, caller: str
) -> None:
    calls = pipeline_run / "results" / "calls"
    for sample in ("NA12878", "testN", "testT"):
        filtered = calls / f"{sample}.{caller}.filtered.vcf.gz"
        assert Path(f"{filtered}.tbi").is_file()
        reader = VCF(str(filtered))
        declared = {h.info()["ID"] for h in reader.header_iter() if h.type == "FILTER"}
        names = [record.FILTER or "PASS" for record in reader]
        assert len(names) == sum(1 for _ in VCF(str(calls / f"{sample}.{caller}.vcf.gz")))
        assert {n for value in names for n in value.split(";")} <= declared
        stats = json.loads((calls / f"{sample}.{caller}.filter_stats.json").read_text())
        assert stats["sites"]["evaluated"] == len(names)
        assert stats["sites"]["failed_any"] == sum(value != "PASS" for value in names)
        tsv = (calls / f"{sample}.{caller}.filter_stats.tsv").read_text().splitlines()
        assert len(tsv) == 3 + len(stats["filters"])


def test_hard_filtering_from_config_drops_failing_sites(make_workdir) -> None:
    workdir = make_workdir("filter_hard", callers=["freebayes"], filtering={"hard": True})
    target = "results/calls/NA12878.freebayes.filtered.vcf.gz"
    snakemake(workdir, "--cores", "2", target)
    stats = json.loads((workdir / "results/calls/NA12878.freebayes.filter_stats.json").read_text())
    kept = [record.FILTER for record in VCF(str(workdir / target))]
    assert all(value is None for value in kept)  # cyvcf2 reads PASS as None
    assert len(kept) == stats["sites"]["evaluated"] - stats["sites"]["failed_any"]
    assert stats["sites"]["failed_any"] > 0
