"""Phenotype-driven ranking on a synthetic genome with RYR1 and CFTR gene models."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.unit.synthetic_genes import (
    CFTR_STOP_GAINED,
    INTERGENIC,
    RYR1_MISSENSE,
    annotate_consequences,
    phenotype_index,
    phenotype_index_path,
    write_calls,
    write_gff3,
    write_reference,
)
from varnode.annotate.table import write_table
from varnode.cli import main
from varnode.phenotype.prioritise import (
    DEFAULT_WEIGHTS,
    clinvar_score,
    prioritise,
    rarity,
    read_variant_table,
)

MYOPATHY = ["HP:0003198", "HP:0001252"]  # Myopathy; Generalized hypotonia
CYSTIC_FIBROSIS = ["HP:0002205", "HP:0001738"]  # recurrent respiratory infections; pancr. insuff.
HEARING_LOSS = ["HP:0000365"]  # Hearing impairment: neither gene's phenotype


@pytest.fixture(scope="module")
def index(request):
    return phenotype_index(request.config)


@pytest.fixture(scope="module")
def variant_table(tmp_path_factory) -> Path:
    """P1 carries a rare RYR1 missense, a CFTR stop-gain and an intergenic SNV."""
    folder = tmp_path_factory.mktemp("p1")
    fasta, gff3 = write_reference(folder), write_gff3(folder)
    calls = [(RYR1_MISSENSE, "0/1"), (CFTR_STOP_GAINED, "0/1"), (INTERGENIC, "1/1")]
    vcf = write_calls(folder, fasta, "P1", calls)
    annotated = annotate_consequences(vcf, fasta, gff3, folder / "P1.annotated.vcf.gz")
    write_table(annotated, folder / "P1.variants.tsv")
    return folder / "P1.variants.tsv"


def ranked(index, table, hpo):
    patient, _ = index.resolve(hpo, "P1")
    return prioritise(read_variant_table(table), patient, index, DEFAULT_WEIGHTS)


@pytest.mark.tools
def test_gene_phenotype_ranks_its_variant_first(index, variant_table):
    myopathy = ranked(index, variant_table, MYOPATHY)
    assert (myopathy[0].row["gene"], int(myopathy[0].row["pos"])) == ("RYR1", RYR1_MISSENSE[0])
    fibrosis = ranked(index, variant_table, CYSTIC_FIBROSIS)
    assert (fibrosis[0].row["gene"], int(fibrosis[0].row["pos"])) == ("CFTR", CFTR_STOP_GAINED[0])


@pytest.mark.tools
def test_unrelated_phenotype_does_not_rank_the_ryr1_variant_first(index, variant_table):
    unrelated = ranked(index, variant_table, HEARING_LOSS)
    assert unrelated[0].row["gene"] != "RYR1"
    ryr1 = {c.row["gene"]: c for c in ranked(index, variant_table, MYOPATHY)}["RYR1"]
    ryr1_unrelated = next(c for c in unrelated if c.row["gene"] == "RYR1")
    assert ryr1.phenotype > 2 * ryr1_unrelated.phenotype


@pytest.mark.tools
def test_each_row_explains_its_score(index, variant_table):
    top = ranked(index, variant_table, MYOPATHY)[0]
    for part in (
        "phenotype",
        "Lin best-match average vs RYR1",
        "consequence missense 0.70",
        "rarity 1.00",
        "ClinVar none 0.50",
        "zygosity 0.50 (heterozygous)",
    ):
        assert part in top.explanation
    assert top.explanation.endswith(f"= {top.score:.3f}")
    assert top.score == pytest.approx(top.phenotype**0.5 * top.variant**0.5)


def row(gene, consequence, af="", zygosity="heterozygous", clinvar="", pos=100):
    return {
        "sample": "P1",
        "chrom": "chrS",
        "pos": str(pos),
        "ref": "A",
        "alt": "G",
        "genotype": "0/1",
        "zygosity": zygosity,
        "filter": "PASS",
        "gene": gene,
        "transcript": "T",
        "consequence": consequence,
        "protein_change": "",
        "id": "",
        "population_af": af,
        "clinvar_significance": clinvar,
        "clinvar_disease": "",
    }


def test_common_silent_variant_in_matching_gene_ranks_below_rare_missense(index):
    patient, _ = index.resolve(MYOPATHY, "P1")
    rows = [row("RYR1", "synonymous", af="0.4", pos=1), row("RYR1", "missense", pos=2)]
    order = [c.row["consequence"] for c in prioritise(rows, patient, index, DEFAULT_WEIGHTS)]
    assert order == ["missense", "synonymous"]


def test_clinvar_pathogenic_and_possible_compound_het_raise_the_variant_score(index):
    patient, _ = index.resolve(MYOPATHY, "P1")
    alone = prioritise([row("RYR1", "missense")], patient, index, DEFAULT_WEIGHTS)[0]
    pathogenic = prioritise(
        [row("RYR1", "missense", clinvar="Pathogenic")], patient, index, DEFAULT_WEIGHTS
    )[0]
    pair = prioritise(
        [row("RYR1", "missense", pos=1), row("RYR1", "frameshift", pos=2)],
        patient,
        index,
        DEFAULT_WEIGHTS,
    )
    assert pathogenic.variant > alone.variant
    missense = next(c for c in pair if c.row["consequence"] == "missense")
    assert missense.variant > alone.variant
    assert "possible compound heterozygote" in missense.explanation


def test_non_carriers_and_failed_filters_are_not_candidates(index):
    patient, _ = index.resolve(MYOPATHY, "P1")
    failed = {**row("RYR1", "missense", pos=2), "filter": "LowQual"}
    rows = [row("RYR1", "missense", zygosity="absent", pos=1), failed]
    assert prioritise(rows, patient, index, DEFAULT_WEIGHTS) == []
    assert len(prioritise(rows, patient, index, DEFAULT_WEIGHTS, pass_only=False)) == 1


@pytest.mark.parametrize(
    ("frequency", "expected"), [("", 1.0), ("0.00001", 1.0), ("0.01", 0.5), ("1", 0.0)]
)
def test_rarity(frequency, expected):
    assert rarity(frequency)[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("significance", "expected"),
    [
        ("Pathogenic/Likely_pathogenic", 1.0),
        ("Benign", 0.0),
        ("Uncertain_significance", 0.5),
        ("", 0.5),
        ("drug_response", 0.5),
    ],
)
def test_clinvar_score(significance, expected):
    assert clinvar_score(significance) == expected


@pytest.mark.tools
def test_cli_writes_ranked_candidates(request, variant_table, tmp_path):
    output = tmp_path / "P1.candidates.tsv"
    index_file = phenotype_index_path(request.config)
    code = main(
        [
            "prioritise",
            str(variant_table),
            "--hpo",
            ";".join(MYOPATHY),
            "--index",
            str(index_file),
            "--output",
            str(output),
        ]
    )
    assert code == 0
    with output.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["gene"] == "RYR1" and rows[0]["hpo_terms"] == ";".join(MYOPATHY)


@pytest.mark.tools
def test_cli_names_an_unknown_term(request, variant_table, tmp_path, capsys):
    code = main(
        [
            "prioritise",
            str(variant_table),
            "--hpo",
            "HP:0003198;HP:9999999",
            "--index",
            str(phenotype_index_path(request.config)),
            "--output",
            str(tmp_path / "out.tsv"),
        ]
    )
    assert code == 2
    assert "HP:9999999" in capsys.readouterr().err
    assert not (tmp_path / "out.tsv").exists()
