"""HPO term checks, and similarity scores against pyhpo's own on known pairs."""

from __future__ import annotations

import pytest

from tests.unit.synthetic_genes import phenotype_index, pyhpo_ontology
from varnode.errors import VarnodeError
from varnode.phenotype.index import PhenotypeIndex, gene_matches, term_id

MYOPATHY = ["HP:0003198", "HP:0001252"]  # Myopathy; Generalized hypotonia
MYASTHENIC = ["HP:0003473", "HP:0000508", "HP:0003198"]  # fatigable weakness; ptosis; myopathy
CYSTIC_FIBROSIS = ["HP:0002205", "HP:0001738"]  # recurrent respiratory infections; pancr. insuff.


@pytest.fixture(scope="module")
def index(request) -> PhenotypeIndex:
    return phenotype_index(request.config)


@pytest.fixture(scope="module")
def ontology():
    return pyhpo_ontology()


def terms(index, texts):
    return index.resolve(texts, "test")[0]


@pytest.mark.parametrize(
    ("first", "second"),
    [(MYOPATHY, MYASTHENIC), (MYASTHENIC, CYSTIC_FIBROSIS), (MYOPATHY, ["HP:0003198"])],
)
def test_set_similarity_agrees_with_pyhpo(index, ontology, first, second):
    from pyhpo import HPOSet

    ours = index.set_similarity(terms(index, first), terms(index, second))
    theirs = HPOSet.from_queries(first).similarity(
        HPOSet.from_queries(second), kind="omim", method="lin", combine="funSimAvg"
    )
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_gene_score_agrees_with_pyhpo_on_the_genes_phenotypic_terms(index, ontology):
    from pyhpo import HPOSet

    for gene, patient in (("RYR1", MYOPATHY), ("CFTR", CYSTIC_FIBROSIS), ("CFTR", MYOPATHY)):
        ours = gene_matches(index, terms(index, patient), [gene])[gene].score
        annotated = [term_id(t) for t in sorted(index.phenotypic(index.genes[gene]))]
        theirs = HPOSet.from_queries(patient).similarity(
            HPOSet.from_queries(annotated), kind="omim", method="lin", combine="funSimAvg"
        )
        assert ours == pytest.approx(theirs, abs=1e-9), gene


def test_term_similarity_agrees_with_pyhpo(index, ontology):
    for a, b in (
        ("HP:0003198", "HP:0001252"),
        ("HP:0000508", "HP:0003473"),
        ("HP:0001738", "HP:0000508"),
    ):
        theirs = ontology.get_hpo_object(a).similarity_score(
            ontology.get_hpo_object(b), kind="omim", method="lin"
        )
        assert index.lin(*terms(index, [a, b])) == pytest.approx(theirs, abs=1e-9)


def test_matching_gene_outscores_unrelated_gene(index):
    myopathy = gene_matches(index, terms(index, MYOPATHY), ["RYR1", "CFTR"])
    fibrosis = gene_matches(index, terms(index, CYSTIC_FIBROSIS), ["RYR1", "CFTR"])
    assert myopathy["RYR1"].score > 2 * myopathy["CFTR"].score
    assert fibrosis["CFTR"].score > 2 * fibrosis["RYR1"].score


def test_unknown_term_is_an_error_naming_it(index):
    with pytest.raises(VarnodeError, match=r"sample P1: unknown HPO term\(s\) HP:9999999"):
        index.resolve(["HP:0003198", "HP:9999999"], "sample P1")


def test_malformed_term_is_an_error_naming_it(index):
    with pytest.raises(VarnodeError, match="'HP:12' is not an HPO term id"):
        index.resolve(["HP:12"], "sample P1")


def test_obsolete_term_warns_and_uses_its_replacement(index):
    obsolete, replacement = next(
        (t, r)
        for t, r in index.replaced_by.items()
        if r and t not in index.alternative_ids and index.is_phenotypic_abnormality(r)
    )
    resolved, warnings = index.resolve([term_id(obsolete)], "sample P1")
    assert resolved == [replacement]
    assert term_id(obsolete) in warnings[0] and "obsolete" in warnings[0]
    assert term_id(replacement) in warnings[0]


def test_obsolete_term_without_replacement_is_dropped_with_a_warning(index):
    obsolete = next(
        t for t, r in index.replaced_by.items() if r is None and t not in index.alternative_ids
    )
    resolved, warnings = index.resolve([term_id(obsolete), "HP:0003198"], "sample P1")
    assert resolved == [3198]
    assert term_id(obsolete) in warnings[0] and "no replacement" in warnings[0]


def test_alternative_id_maps_to_primary(index):
    alternative, primary = next(
        (a, p) for a, p in index.alternative_ids.items() if index.is_phenotypic_abnormality(p)
    )
    resolved, warnings = index.resolve([term_id(alternative)], "q")
    assert resolved == [primary] and term_id(alternative) in warnings[0]


def test_mode_of_inheritance_is_ignored_with_a_warning(index):
    resolved, warnings = index.resolve(["HP:0000006", "HP:0003198"], "q")
    assert resolved == [3198] and "HP:0000006" in warnings[0]


def test_disease_id_stands_for_its_terms(index):
    disease = next(d for d in index.diseases if d.startswith("OMIM:"))
    resolved, _ = index.query_terms([disease], "q")
    assert set(resolved) == set(index.phenotypic(index.diseases[disease][1]))


def test_index_round_trip_keeps_scores(index, tmp_path):
    index.save(tmp_path / "index.json.gz")
    again = PhenotypeIndex.load(tmp_path / "index.json.gz")
    patient = terms(index, MYASTHENIC)
    assert again.hpo_version == index.hpo_version
    assert (
        gene_matches(again, patient, ["RYR1"])["RYR1"]
        == gene_matches(index, patient, ["RYR1"])["RYR1"]
    )
