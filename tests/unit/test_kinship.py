"""KING-robust kinship on genotypes built with known relationships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.cohort_vcfs import write_vcf
from varnode.cli import main
from varnode.cohort.relatedness import KingCounts, degree, relatedness, relatedness_rows

N_SITES = 4000


def founder(rng: np.random.Generator, frequencies: np.ndarray) -> np.ndarray:
    """Two haplotypes (sites x 2) of ALT alleles drawn at the given frequencies."""
    return (rng.random((len(frequencies), 2)) < frequencies[:, None]).astype(np.int8)


def child(rng: np.random.Generator, mother: np.ndarray, father: np.ndarray) -> np.ndarray:
    sites = np.arange(len(mother))
    return np.stack(
        [
            mother[sites, rng.integers(0, 2, len(sites))],
            father[sites, rng.integers(0, 2, len(sites))],
        ],
        axis=1,
    )


@pytest.fixture(scope="module")
def family() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    frequencies = rng.uniform(0.05, 0.5, N_SITES)
    mother, father, stranger = (founder(rng, frequencies) for _ in range(3))
    first_child = child(rng, mother, father)
    second_child = child(rng, mother, father)
    grandchild = child(rng, first_child, founder(rng, frequencies))
    return {
        "mother": mother,
        "mother_again": mother.copy(),
        "child": first_child,
        "sibling": second_child,
        "grandchild": grandchild,
        "stranger": stranger,
    }


def kinship_of(family: dict[str, np.ndarray], min_sites: int = 100) -> dict[frozenset, dict]:
    names = list(family)
    counts = KingCounts(len(names))
    counts.add_dosages(np.stack([family[name].sum(axis=1) for name in names], axis=1))
    rows = relatedness_rows(names, counts, min_sites)
    return {frozenset((row["sample_a"], row["sample_b"])): row for row in rows}


@pytest.mark.parametrize(
    ("pair", "expected", "label"),
    [
        (("mother", "mother_again"), 0.5, "duplicate"),
        (("mother", "child"), 0.25, "first-degree"),
        (("child", "sibling"), 0.25, "first-degree"),
        (("mother", "grandchild"), 0.125, "second-degree"),
        (("mother", "stranger"), 0.0, "unrelated"),
        (("child", "stranger"), 0.0, "unrelated"),
    ],
)
def test_kinship_recovers_known_relationships(family, pair, expected, label) -> None:
    row = kinship_of(family)[frozenset(pair)]
    assert row["kinship"] == pytest.approx(expected, abs=0.04)
    assert row["estimate_degree"] == label
    assert row["flag"] == label
    assert row["n_sites"] > 1000


def test_few_sites_are_flagged_insufficient_not_given_a_degree(family) -> None:
    few = {name: genotypes[:40] for name, genotypes in family.items()}
    row = kinship_of(few, min_sites=200)[frozenset(("mother", "mother_again"))]
    assert row["estimate_degree"] == "duplicate"  # the point estimate is still reported
    assert row["n_sites"] < 200
    assert row["flag"] == "insufficient_data"


def test_hand_counted_pair() -> None:
    # Sites: both het, both het, opposite homozygotes, a het / hom-ref, both hom-ref.
    dosages = np.array([[1, 1], [1, 1], [2, 0], [1, 0], [0, 0]])
    counts = KingCounts(2)
    counts.add_dosages(dosages)
    row = relatedness_rows(["a", "b"], counts, min_sites=1)[0]
    assert (row["het_het"], row["opposite_hom"], row["het_a"], row["het_b"]) == (2, 1, 3, 2)
    assert row["n_sites"] == 4
    assert row["kinship"] == pytest.approx((2 - 2 * 1) / (3 + 2))


def test_degree_boundaries_follow_king() -> None:
    assert [degree(k) for k in (0.45, 0.3, 0.15, 0.07, 0.01, -0.2)] == [
        "duplicate",
        "first-degree",
        "second-degree",
        "third-degree",
        "unrelated",
        "unrelated",
    ]
    assert degree(float("nan")) == "unknown"


def test_vcf_path_skips_shallow_calls_sex_chromosomes_and_indels(tmp_path: Path) -> None:
    records = [
        ("chr1", 100, "A", "G", ["0/1:30", "0/1:30"]),
        ("chr1", 200, "A", "G", ["0/1:30", "0/1:3"]),  # too shallow in b
        ("chr1", 300, "A", "AT", ["1/1:30", "0/0:30"]),  # indel
        ("chrX", 400, "A", "G", ["1/1:30", "0/0:30"]),  # sex chromosome
        ("chr1", 500, "A", "G", ["1/1:30", "1/1:30"]),
    ]
    vcf = write_vcf(tmp_path / "pair.vcf", ["a", "b"], records, {"chr1": 10_000, "chrX": 10_000})
    row = relatedness(str(vcf), 10, 1, ("chrX", "chrY", "chrM"), 1000)[0]
    assert row["n_sites"] == 2
    assert (row["het_het"], row["opposite_hom"]) == (1, 0)
    assert row["kinship"] == pytest.approx(0.5)


def test_one_sample_cohort_writes_an_empty_table_stating_why(tmp_path: Path) -> None:
    vcf = write_vcf(
        tmp_path / "one.vcf", ["solo"], [("chr1", 100, "A", "G", ["0/1:30"])], {"chr1": 10_000}
    )
    output = tmp_path / "relatedness.tsv"
    assert main(["relatedness", str(vcf), "-o", str(output)]) == 0
    reason, header, *rows = output.read_text().splitlines()
    assert reason == f"## skipped: relatedness needs at least 2 samples, found 1 in {vcf}"
    assert header.startswith("sample_a\tsample_b\tkinship") and rows == []
