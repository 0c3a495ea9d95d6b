"""`varnode query` over a small constructed cohort's results folder."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tests.unit.synthetic_genes import (
    CFTR_STOP_GAINED,
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
    prioritise,
    read_variant_table,
    write_candidates,
)
from varnode.phenotype.query import load_carriers, query

MYASTHENIC_LIKE = "HP:0003473;HP:0000508;HP:0003198"  # fatigable weakness; ptosis; myopathy
# sample -> (HPO terms, variants carried, callers)
COHORT = {
    "P1": (["HP:0003198", "HP:0001252", "HP:0000508"], [RYR1_MISSENSE], ["bcftools", "freebayes"]),
    "P2": (["HP:0000365"], [RYR1_MISSENSE], ["bcftools"]),  # hearing impairment
    "P3": (["HP:0003198", "HP:0003473"], [CFTR_STOP_GAINED], ["bcftools"]),  # no RYR1 variant
    "P4": ([], [RYR1_MISSENSE], ["bcftools"]),  # no HPO terms: no candidates file
}


@pytest.fixture(scope="module")
def results(request, tmp_path_factory) -> Path:
    """A run's results/ folder: annotated tables for all, candidates for the phenotyped."""
    index = phenotype_index(request.config)
    folder = tmp_path_factory.mktemp("cohort")
    fasta, gff3 = write_reference(folder), write_gff3(folder)
    results = folder / "results"
    for sample, (hpo, variants, callers) in COHORT.items():
        vcf = write_calls(folder, fasta, sample, [(v, "0/1") for v in variants])
        annotated = annotate_consequences(vcf, fasta, gff3, folder / f"{sample}.vcf.gz")
        for caller in callers:
            table = results / "annotated" / f"{sample}.{caller}.variants.tsv"
            write_table(annotated, table)
            if hpo:
                patient, _ = index.resolve(hpo, sample)
                ranked = prioritise(read_variant_table(table), patient, index, DEFAULT_WEIGHTS)
                write_candidates(
                    results / "prioritised" / f"{sample}.{caller}.candidates.tsv", ranked, patient
                )
    return results


def run_query(request, results, capsys, *options) -> tuple[list[dict[str, str]], str]:
    index_file = str(phenotype_index_path(request.config))
    code = main(["query", "--results", str(results), "--index", index_file, *options])
    assert code == 0
    out, err = capsys.readouterr()
    return list(csv.DictReader(out.splitlines(), delimiter="\t")), err


@pytest.mark.tools
def test_query_returns_carriers_with_a_similar_phenotype(request, results, capsys):
    rows, err = run_query(
        request, results, capsys, "--gene", "RYR1", "--phenotype", MYASTHENIC_LIKE
    )
    assert [r["sample"] for r in rows] == ["P1"]
    assert rows[0]["callers"] == "bcftools,freebayes"
    assert rows[0]["level"] in ("high", "medium")
    assert f"chrS:{RYR1_MISSENSE[0]} G>A missense p.Ala10Thr (heterozygous)" in rows[0]["variants"]
    assert "1 more carrier(s) have no HPO terms" in err


@pytest.mark.tools
def test_lower_threshold_admits_more_and_scores_are_ordered(request, results):
    index = phenotype_index(request.config)
    phenotype, _ = index.resolve(MYASTHENIC_LIKE.split(";"), "q")
    carriers = load_carriers(results, "RYR1")
    assert set(carriers) == {"P1", "P2"}
    everyone = query(carriers, "RYR1", phenotype, index, min_similarity=0.0)
    assert [r["sample"] for r in everyone] == ["P1", "P2"]
    assert float(everyone[0]["similarity"]) > float(everyone[1]["similarity"])


@pytest.mark.tools
def test_query_for_another_gene_finds_its_carrier(request, results, capsys):
    rows, _ = run_query(
        request,
        results,
        capsys,
        "--gene",
        "CFTR",
        "--phenotype",
        MYASTHENIC_LIKE,
        "--similarity",
        "low",
    )
    assert [r["sample"] for r in rows] == ["P3"]


@pytest.mark.tools
def test_query_names_an_unknown_term(request, results, capsys):
    code = main(
        [
            "query",
            "--results",
            str(results),
            "--index",
            str(phenotype_index_path(request.config)),
            "--gene",
            "RYR1",
            "--phenotype",
            "HP:9999998",
        ]
    )
    assert code == 2 and "HP:9999998" in capsys.readouterr().err


def test_query_needs_a_results_folder(request, tmp_path, capsys):
    shutil.rmtree(tmp_path, ignore_errors=True)
    code = main(
        [
            "query",
            "--results",
            str(tmp_path),
            "--index",
            str(phenotype_index_path(request.config)),
            "--gene",
            "RYR1",
            "--phenotype",
            "HP:0003198",
        ]
    )
    assert code == 2 and "no such folder" in capsys.readouterr().err


def test_query_says_candidates_need_hpo_terms(request, tmp_path, capsys):
    code = main(
        ["query", "--results", str(tmp_path), "--index", str(phenotype_index_path(request.config)),
         "--gene", "RYR1", "--phenotype", "HP:0003198"]
    )  # fmt: skip
    assert code == 2 and "HPO terms" in capsys.readouterr().err


def test_inputs_are_checked_before_the_ontology_loads(tmp_path, capsys):
    argv = ["query", "--results", str(tmp_path), "--gene", "RYR1"]
    assert main([*argv, "--index", str(tmp_path / "none.json.gz"), "--phenotype", "HP:3198"]) == 2
    assert "not an HPO term" in capsys.readouterr().err
    assert (
        main([*argv, "--index", str(tmp_path / "none.json.gz"), "--phenotype", "HP:0003198"]) == 2
    )
    assert "none.json.gz: not found" in capsys.readouterr().err


@pytest.mark.tools
def test_paths_are_taken_from_the_run_folder(request, results, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    index_file = str(phenotype_index_path(request.config))
    code = main(["query", "--run", str(results.parent), "--index", index_file,
                 "--gene", "RYR1", "--phenotype", MYASTHENIC_LIKE])  # fmt: skip
    assert code == 0 and "P1" in capsys.readouterr().out


@pytest.mark.tools
def test_a_wrongly_cased_gene_is_taken_with_a_warning(request, results, capsys):
    rows, err = run_query(
        request, results, capsys, "--gene", "ryr1", "--phenotype", MYASTHENIC_LIKE
    )
    assert [r["sample"] for r in rows] == ["P1"] and rows[0]["gene"] == "RYR1"
    assert "taken as 'RYR1'" in err


@pytest.mark.tools
def test_an_unknown_gene_warns_and_finds_no_one(request, results, capsys):
    rows, err = run_query(
        request, results, capsys, "--gene", "NOTAGENE", "--phenotype", "HP:0003198"
    )
    assert rows == [] and "no variant of this run lies in it" in err
