"""Annotation and prioritisation rules on ../shared/data (CCT8L2, the slice's one coding gene)."""

from __future__ import annotations

import csv
from pathlib import Path

import pysam
import pytest

pytestmark = pytest.mark.workflow

TABLE = "results/annotated/NA12878.bcftools.variants.tsv"
CANDIDATES = "results/prioritised/NA12878.bcftools.candidates.tsv"


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def annotated_run(pipeline_run: Path) -> Path:
    """The reference run, in which NA12878 has HPO:0003198 (see tests/conftest.py)."""
    return pipeline_run


def test_csq_finds_the_cct8l2_missense_and_synonymous_calls(annotated_run: Path):
    rows = {(r["pos"], r["alt"]): r for r in read_tsv(annotated_run / TABLE)}
    missense, synonymous = rows[("21594", "G")], rows[("22177", "G")]
    assert (missense["gene"], missense["consequence"], missense["protein_change"]) == (
        "CCT8L2",
        "missense",
        "p.Trp320Arg",
    )
    assert (synonymous["gene"], synonymous["consequence"]) == ("CCT8L2", "synonymous")
    assert synonymous["protein_change"] == "p.Ala125="
    # Call evidence: a homozygous call carried by all its reads.
    assert (missense["caller"], missense["zygosity"], missense["vaf"]) == (
        "bcftools",
        "homozygous",
        "1",
    )
    assert int(missense["dp"]) > 0 and float(missense["qual"]) > 0 and missense["gq"]
    # dbSNP IDs and gnomAD frequencies from the shared known-variant slices.
    assert missense["id"] == "rs2236639"
    assert float(missense["population_af"]) == pytest.approx(0.908, abs=0.001)
    assert all(r["sample"] == "NA12878" for r in rows.values())


def test_all_samples_variant_table_loads_from_parquet(annotated_run: Path):
    import pandas as pd

    from varnode.common.tables import VARIANTS, VARIANTS_PARQUET

    table = pd.read_parquet(
        annotated_run / "results/annotated/variants.parquet", dtype_backend="numpy_nullable"
    )
    assert list(table.columns) == VARIANTS_PARQUET.names
    assert set(table["sample"]) == {"NA12878", "testN", "testT"}
    assert set(table["caller"]) == {"bcftools", "freebayes"}
    one = table[(table["sample"] == "NA12878") & (table["caller"] == "bcftools")]
    assert len(one) == len(VARIANTS.read(annotated_run / TABLE))
    assert str(table["pos"].dtype) == "Int64" and str(table["population_af"].dtype) == "Float64"


def test_annotated_vcf_is_indexed_and_carries_the_annotations(annotated_run: Path):
    vcf = annotated_run / "results/annotated/NA12878.bcftools.vcf.gz"
    assert Path(f"{vcf}.tbi").is_file()
    with pysam.VariantFile(str(vcf)) as variants:
        assert {"BCSQ", "POP_AF"} <= set(variants.header.info)
        assert sum(1 for _ in variants) == len(read_tsv(annotated_run / TABLE))


def test_sample_with_hpo_terms_gets_a_ranked_explained_list(annotated_run: Path):
    candidates = read_tsv(annotated_run / CANDIDATES)
    assert candidates and [int(c["rank"]) for c in candidates] == list(
        range(1, len(candidates) + 1)
    )
    scores = [float(c["score"]) for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert {c["hpo_terms"] for c in candidates} == {"HP:0003198"}
    cct8l2 = next(c for c in candidates if c["gene"] == "CCT8L2")
    assert "CCT8L2 has no HPO phenotype annotation" in cct8l2["explanation"]
    assert not (annotated_run / "results/prioritised/testN.bcftools.candidates.tsv").exists()
