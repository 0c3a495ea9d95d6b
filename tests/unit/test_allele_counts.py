"""Allele counts agree with a plain count from the genotypes and with bcftools +fill-tags."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cyvcf2 import VCF

from tests.unit.cohort_vcfs import write_vcf
from varnode.cohort.allele_counts import count_alleles, write_counts
from varnode.errors import VarnodeError

SAMPLES = ["s1", "s2", "s3", "s4", "s5", "s6"]
# Diploid, haploid, fully and partly missing calls, phased calls and a multi-allelic site.
RECORDS = [
    ("chr1", 10, "A", "G,T", ["0/1", "1/1", "1", "2", "./.", "1/2"]),
    ("chr1", 20, "A", "G", ["./1", "1|1", "0", ".", "0/0", "1"]),
    ("chr1", 30, "A", "G", ["./.", ".", "./.", ".", "./.", "."]),
    ("chr1", 40, "C", "CT", ["0/0", "0/1", "1/1", "0|1", "1", "0"]),
]
TAGS = ("AC", "AN", "AF", "AC_Hom", "AC_Het", "AC_Hemi")


def plain_counts(genotypes: list[list[int]], n_alts: int) -> dict[str, list]:
    """Count by the definitions, one genotype at a time (missing alleles are negative)."""
    counts = {tag: [0] * n_alts for tag in ("AC", "AC_Hom", "AC_Het", "AC_Hemi")}
    an = 0
    for genotype in genotypes:
        alleles = [allele for allele in genotype if allele >= 0]
        an += len(alleles)
        for allele in alleles:
            if allele:
                counts["AC"][allele - 1] += 1
        if len(alleles) == 1 and alleles[0]:
            counts["AC_Hemi"][alleles[0] - 1] += 1
        elif len(alleles) == 2 and alleles[0] == alleles[1] and alleles[0]:
            counts["AC_Hom"][alleles[0] - 1] += 2
        elif len(alleles) == 2 and alleles[0] != alleles[1]:
            for allele in alleles:
                if allele:
                    counts["AC_Het"][allele - 1] += 1
    counts["AN"] = an
    counts["AF"] = [ac / an for ac in counts["AC"]] if an else None
    return counts


def info_tags(path: Path) -> list[dict[str, object]]:
    out = []
    for record in VCF(str(path)):
        tags = {}
        for tag in TAGS:
            value = record.INFO.get(tag)
            if tag == "AN":
                tags[tag] = value
            elif value is None or value == ".":
                tags[tag] = None
            else:
                tags[tag] = list(np.atleast_1d(value))
        out.append(tags)
    return out


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    return write_vcf(tmp_path / "cohort.vcf", SAMPLES, RECORDS)


def test_tags_agree_with_a_plain_count_of_the_genotypes(cohort: Path, tmp_path: Path) -> None:
    output = tmp_path / "counted.vcf.gz"
    assert write_counts(str(cohort), str(output), sexes=None, chunk_size=1000) == len(RECORDS)
    assert (tmp_path / "counted.vcf.gz.tbi").is_file()
    for record, tags in zip(VCF(str(cohort)), info_tags(output), strict=True):
        genotypes = [call[:-1] for call in record.genotypes]
        expected = plain_counts(genotypes, len(record.ALT))
        for tag in ("AN", "AC", "AC_Hom", "AC_Het", "AC_Hemi"):
            assert tags[tag] == expected[tag], (record.POS, tag)
        if expected["AF"] is None:
            assert tags["AF"] is None
        else:
            assert tags["AF"] == pytest.approx(expected["AF"], rel=1e-5)
            assert tags["AF"] == pytest.approx(np.array(tags["AC"]) / tags["AN"], rel=1e-5)


@pytest.mark.skipif(not shutil.which("bcftools"), reason="bcftools not installed")
def test_tags_match_bcftools_fill_tags(cohort: Path, tmp_path: Path) -> None:
    reference = tmp_path / "fill_tags.vcf"
    done = subprocess.run(
        ["bcftools", "+fill-tags", str(cohort), "-o", str(reference), "--", "-t", ",".join(TAGS)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"bcftools +fill-tags unavailable: {done.stderr.strip()[:200]}")
    output = tmp_path / "counted.vcf.gz"
    write_counts(str(cohort), str(output), sexes=None, chunk_size=1000)
    ours, theirs = info_tags(output), info_tags(reference)
    for position, (mine, bcftools) in enumerate(zip(ours, theirs, strict=True)):
        for tag in TAGS:
            if tag == "AF" and bcftools[tag] is not None:
                assert mine[tag] == pytest.approx(bcftools[tag], rel=1e-5), (position, tag)
            else:
                assert mine[tag] == bcftools[tag], (position, tag)


def test_sex_strata_partition_the_cohort(cohort: Path, tmp_path: Path) -> None:
    sexes = {"s1": "F", "s2": "F", "s3": "M", "s4": "M", "s5": "U", "s6": "F"}
    output = tmp_path / "counted.vcf.gz"
    write_counts(str(cohort), str(output), sexes=sexes, chunk_size=1000)
    females = [SAMPLES.index(s) for s, sex in sexes.items() if sex == "F"]
    for source, record in zip(VCF(str(cohort)), VCF(str(output)), strict=True):
        genotypes = [source.genotypes[i][:-1] for i in females]
        expected = plain_counts(genotypes, len(source.ALT))
        assert record.INFO["AN_F"] == expected["AN"]
        assert list(np.atleast_1d(record.INFO["AC_F"])) == expected["AC"]
        assert record.INFO["AN_F"] + record.INFO["AN_M"] <= record.INFO["AN"]


def test_vectorised_counts_match_the_plain_count_on_random_genotypes() -> None:
    rng = np.random.default_rng(7)
    n_alleles = rng.integers(2, 5, size=200)
    alleles = rng.integers(-2, 4, size=(200, 50, 2)).astype(np.int16)
    alleles = np.where(alleles < n_alleles[:, None, None], alleles, -1).astype(np.int16)
    counts = count_alleles(alleles, n_alleles)
    for row in range(200):
        expected = plain_counts(alleles[row].tolist(), n_alleles[row] - 1)
        n_alts = n_alleles[row] - 1
        assert counts.an[row] == expected["AN"]
        assert counts.ac[row, :n_alts].tolist() == expected["AC"]
        assert counts.ac_hom[row, :n_alts].tolist() == expected["AC_Hom"]
        assert counts.ac_het[row, :n_alts].tolist() == expected["AC_Het"]
        assert counts.ac_hemi[row, :n_alts].tolist() == expected["AC_Hemi"]


def test_polyploid_calls_are_refused_with_their_position(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "triploid.vcf", ["s1"], [("chr1", 77, "A", "G", ["0/0/1"])])
    with pytest.raises(VarnodeError, match="chr1:77: ploidy 3"):
        write_counts(str(vcf), str(tmp_path / "out.vcf.gz"), sexes=None, chunk_size=1000)
    assert not (tmp_path / "out.vcf.gz").exists()
