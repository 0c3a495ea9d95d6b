"""Variant table from real `bcftools csq` output, and start-up checks of annotation resources."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.synthetic_genes import (
    CFTR_STOP_GAINED,
    INTERGENIC,
    RYR1_MISSENSE,
    annotate_consequences,
    write_calls,
    write_gff3,
    write_reference,
)
from varnode.annotate.resources import annotation_steps, known_variant_steps
from varnode.annotate.table import COLUMNS, most_severe, parse_bcsq, write_table, zygosity
from varnode.common.tables import VARIANTS
from varnode.inputs.annotation import annotation_problems


@pytest.fixture(scope="module")
def genome(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("genome")
    return write_reference(folder), write_gff3(folder)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.tools
def test_table_reports_csq_consequences_per_allele(genome, tmp_path):
    fasta, gff3 = genome
    calls = [(RYR1_MISSENSE, "0/1"), (CFTR_STOP_GAINED, "1/1"), (INTERGENIC, "0|1")]
    vcf = write_calls(tmp_path, fasta, "P1", calls)
    annotated = annotate_consequences(vcf, fasta, gff3, tmp_path / "annotated.vcf.gz")

    assert write_table(annotated, tmp_path / "variants.tsv") == 3
    rows = read_tsv(tmp_path / "variants.tsv")
    assert tuple(rows[0]) == COLUMNS
    by_pos = {int(row["pos"]): row for row in rows}
    missense = by_pos[RYR1_MISSENSE[0]]
    assert (missense["gene"], missense["consequence"], missense["protein_change"]) == (
        "RYR1",
        "missense",
        "p.Ala10Thr",
    )
    assert (missense["sample"], missense["genotype"], missense["zygosity"]) == (
        "P1",
        "0/1",
        "heterozygous",
    )
    stop = by_pos[CFTR_STOP_GAINED[0]]
    assert (stop["gene"], stop["consequence"], stop["zygosity"]) == (
        "CFTR",
        "stop_gained",
        "homozygous",
    )
    assert stop["protein_change"].startswith("p.") and stop["protein_change"].endswith("Ter")
    intergenic = by_pos[INTERGENIC[0]]
    assert (intergenic["gene"], intergenic["consequence"], intergenic["genotype"]) == (
        "",
        "",
        "0|1",
    )


def test_most_severe_entry_wins_and_pointer_entries_are_skipped():
    entries = parse_bcsq(
        "synonymous|G|T1|protein_coding|+|5A|100C>T,"
        "*missense&splice_region|G|T2|protein_coding|+|5A>5V|100C>T,@123"
    )
    assert [e.transcript for e in entries] == ["T1", "T2"]
    worst = most_severe(entries)
    assert (worst.transcript, worst.consequence) == ("T2", "missense&splice_region")


@pytest.mark.parametrize(
    ("alleles", "allele", "expected"),
    [
        ([0, 1], 1, "heterozygous"),
        ([1, 1], 1, "homozygous"),
        ([1], 1, "hemizygous"),
        ([0, 2], 1, "absent"),
        ([-1, -1], 1, "missing"),
    ],
)
def test_zygosity(alleles, allele, expected):
    assert zygosity(alleles, allele) == expected


def config_with(**annotation) -> dict:
    base = {
        "gff3": "",
        "dbsnp": "",
        "clinvar": "",
        "population_af": {"vcf": "", "info_field": "AF"},
    }
    return {"annotation": {**base, **annotation}}


def test_contig_mismatch_of_a_resource_is_named(genome, tmp_path):
    fasta, _ = genome
    gff3 = write_gff3(tmp_path, contig="S")
    vcf = write_calls(tmp_path, fasta, "X", [(RYR1_MISSENSE, "0/1")])
    problems = annotation_problems(config_with(gff3=str(gff3), dbsnp=str(vcf)), {"chr1"})
    assert len(problems) == 2
    assert "annotation.gff3" in problems[0] and "contig(s) the reference lacks: S" in problems[0]
    assert "annotation.dbsnp" in problems[1] and "chrS" in problems[1]


def test_missing_resource_and_missing_info_field_are_named(genome, tmp_path):
    fasta, _ = genome
    vcf = write_calls(tmp_path, fasta, "X", [(RYR1_MISSENSE, "0/1")])
    config = config_with(
        clinvar=str(vcf),
        dbsnp=str(tmp_path / "absent.vcf.gz"),
        population_af={"vcf": str(vcf), "info_field": "AF_nfe"},
    )
    problems = annotation_problems(config, {"chrS"})
    assert any("annotation.dbsnp: file not found" in p for p in problems)
    assert any("annotation.population_af.vcf" in p and "AF_nfe" in p for p in problems)
    assert any("annotation.clinvar" in p and "CLNSIG, CLNDN" in p for p in problems)


def test_unconfigured_resources_are_fine():
    assert annotation_problems(config_with(), {"chr1"}) == []


def test_annotation_steps_are_only_the_configured_resources():
    config = config_with(gff3="genes.gff3", clinvar="clinvar.vcf.gz")["annotation"]
    steps = annotation_steps(config)
    assert steps == ["consequences", "clinvar"]
    assert known_variant_steps(config) == {"clinvar": ("clinvar.vcf.gz", "INFO/CLNSIG,INFO/CLNDN")}


def test_population_af_step_renames_the_configured_field():
    config = config_with(population_af={"vcf": "gnomad.vcf.gz", "info_field": "AF_nfe"})
    steps = known_variant_steps(config["annotation"])
    assert steps == {"population_af": ("gnomad.vcf.gz", "INFO/POP_AF:=INFO/AF_nfe")}


GENOTYPE_FIELDS_VCF = """\
##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allele depths">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1
chr1\t10\t.\tA\tC\t50.5\tPASS\t.\tGT:DP:GQ:AD\t0/1:20:99:12,8
chr1\t20\t.\tA\tC,G\t.\tLowQual\t.\tGT:DP:GQ:AD\t1/2:.:.:0,3,1
chr1\t30\t.\tA\tT\t7\t.\t.\tGT\t./.
"""


def test_table_carries_qual_depths_and_allele_fraction_per_allele(tmp_path):
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(GENOTYPE_FIELDS_VCF)
    assert write_table(vcf, tmp_path / "variants.tsv", caller="freebayes") == 4
    table = VARIANTS.read(tmp_path / "variants.tsv")
    assert table["caller"].tolist() == ["freebayes"] * 4
    first, second, third, missing = table.to_dict("records")
    assert (first["qual"], first["dp"], first["gq"]) == (50.5, 20, 99)
    assert (first["ad_ref"], first["ad_alt"], first["vaf"]) == (12, 8, 0.4)
    assert pd.isna(second["qual"]) and pd.isna(second["dp"]) and pd.isna(second["gq"])
    assert (second["ad_alt"], second["vaf"], third["ad_alt"], third["vaf"]) == (3, 0.75, 1, 0.25)
    assert (second["zygosity"], third["zygosity"]) == ("heterozygous", "heterozygous")
    assert pd.isna(missing["ad_ref"]) and pd.isna(missing["vaf"])
    assert missing["zygosity"] == "missing"
    assert str(table["dp"].dtype) == "Int64" and str(table["vaf"].dtype) == "Float64"
