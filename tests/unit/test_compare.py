"""varnode compare on constructed cases: each representation difference, each mismatch."""

from __future__ import annotations

import json
from pathlib import Path

import pysam
import pytest

from varnode.accuracy.haplotypes import clusters, match_haplotypes
from varnode.accuracy.variants import Variant
from varnode.cli import main

pytestmark = pytest.mark.tools  # runs bcftools/bgzip/tabix

# 0-based: a homopolymer of A at 20-25, CA dinucleotide repeat at 60-67.
REFERENCE = (
    "GATTACAGCTTGCATCGGCT" "AAAAAA" "CGTGCTAGCTTCGAGCCATGGATCCTAGC"
    "ACACACAC" "TGGCATCTAGGTCACGATGCTTAGGCCAT" "GCGTCATGCATTGAC"
)  # fmt: skip


def ref_at(pos: int, length: int = 1) -> str:
    """REF of a 1-based position."""
    return REFERENCE[pos - 1 : pos - 1 + length]


def other(base: str) -> str:
    return "C" if base != "C" else "T"


@pytest.fixture
def fasta(tmp_path) -> Path:
    path = tmp_path / "ref.fa"
    path.write_text(f">chrT\n{REFERENCE}\n")
    pysam.faidx(str(path))
    return path


def write_vcf(path: Path, records: list[tuple], sample: str = "S") -> Path:
    """records: (pos, ref, alt, gt[, filter])."""
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chrT,length={len(REFERENCE)}>",
        '##FILTER=<ID=LowQual,Description="low">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}",
    ]
    for pos, ref, alt, gt, *status in records:
        lines.append(
            f"chrT\t{pos}\t.\t{ref}\t{alt}\t50\t{status[0] if status else 'PASS'}\t.\tGT\t{gt}"
        )
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def compare(tmp_path, fasta, truth, calls, *options) -> dict:
    truth_vcf = write_vcf(tmp_path / "truth.vcf.gz", truth)
    calls_vcf = write_vcf(tmp_path / "calls.vcf.gz", calls)
    prefix = tmp_path / "out"
    argv = ["compare", "--truth", str(truth_vcf), "--ref", str(fasta), str(calls_vcf)]
    assert main([*argv, "--out", str(prefix), *options]) == 0
    report = json.loads(Path(f"{prefix}.json").read_text())
    return {(row["method"], row["type"]): row for row in report["metrics"]}


def counts(metrics, method, kind="ALL"):
    row = metrics[(method, kind)]
    return row["truth_tp"], row["fn"], row["query_tp"], row["fp"]


def test_identical_calls_are_all_true_positives(tmp_path, fasta):
    records = [(4, "T", "C", "0/1"), (30, ref_at(30), other(ref_at(30)), "1/1")]
    metrics = compare(tmp_path, fasta, records, records)
    for method in ("allele", "genotype", "haplotype", "haplotype_genotype"):
        assert counts(metrics, method) == (2, 0, 2, 0)
        assert metrics[(method, "ALL")]["f1"] == 1.0


def test_same_indel_written_elsewhere_in_a_repeat_matches_after_normalisation(tmp_path, fasta):
    # Deleting one A of the homopolymer at 21-26: left-aligned (anchor at 20) vs right end.
    truth = [(20, ref_at(20, 2), ref_at(20), "0/1")]
    calls = [(25, "AA", "A", "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "allele", "INDEL") == (1, 0, 1, 0)


def test_mnp_against_neighbouring_snvs_matches_only_by_haplotype(tmp_path, fasta):
    assert ref_at(9, 2) == "CT"
    truth = [(9, "C", "G", "0/1"), (10, "T", "A", "0/1")]
    calls = [(9, "CT", "GA", "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "allele") == (0, 2, 0, 1)
    assert counts(metrics, "haplotype_genotype") == (2, 0, 1, 0)
    assert metrics[("haplotype_genotype", "SNV")]["f1"] == 1.0


def test_mnp_is_not_two_snvs_on_different_haplotypes_when_one_is_homozygous(tmp_path, fasta):
    truth = [(9, "C", "G", "1/1"), (10, "T", "A", "0/1")]
    calls = [(9, "CT", "GA", "0/1")]  # spells G on one haplotype only
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "haplotype_genotype") == (0, 2, 0, 1)
    # Ignoring zygosity, the truth's alleles can spell the MNP's haplotype.
    assert counts(metrics, "haplotype") == (2, 0, 1, 0)


def test_indel_next_to_snv_against_one_complex_record(tmp_path, fasta):
    # Truth: SNV at 45 and 1-bp deletion right after it; calls: one complex record.
    ref = ref_at(45, 3)
    snv = other(ref[0])
    truth = [(45, ref[0], snv, "0/1"), (45 + 1, ref[1:], ref[1], "0/1")]
    calls = [(45, ref, snv + ref[1], "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "allele")[1] == 2
    assert counts(metrics, "haplotype_genotype") == (2, 0, 1, 0)


def test_genotype_mismatch_counts_for_alleles_not_for_genotypes(tmp_path, fasta):
    truth = [(4, "T", "C", "0/1")]
    calls = [(4, "T", "C", "1/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "allele") == (1, 0, 1, 0)
    assert counts(metrics, "haplotype") == (1, 0, 1, 0)
    assert counts(metrics, "genotype") == (0, 1, 0, 1)
    assert counts(metrics, "haplotype_genotype") == (0, 1, 0, 1)


def test_multiallelic_record_matches_its_split_form(tmp_path, fasta):
    truth = [(4, "T", "C,G", "1/2")]
    calls = [(4, "T", "C", "0/1"), (4, "T", "G", "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    for method in ("allele", "genotype", "haplotype", "haplotype_genotype"):
        assert counts(metrics, method) == (2, 0, 2, 0), method


def test_multiallelic_with_one_allele_wrong(tmp_path, fasta):
    truth = [(4, "T", "C,G", "1/2")]
    calls = [(4, "T", "C,A", "1/2")]
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "allele") == (1, 1, 1, 1)
    assert counts(metrics, "haplotype_genotype") == (1, 1, 1, 1)


def test_regions_and_filters_limit_what_counts(tmp_path, fasta):
    bed = tmp_path / "confident.bed"
    bed.write_text("chrT\t0\t40\n")
    truth = [(4, "T", "C", "0/1"), (70, ref_at(70), other(ref_at(70)), "0/1")]
    calls = [(4, "T", "C", "0/1"), (30, ref_at(30), other(ref_at(30)), "0/1", "LowQual")]
    metrics = compare(tmp_path, fasta, truth, calls, "--regions", str(bed))
    assert counts(metrics, "allele") == (1, 0, 1, 0)
    metrics = compare(tmp_path, fasta, truth, calls, "--regions", str(bed), "--all-calls")
    assert counts(metrics, "allele") == (1, 0, 1, 1)


def test_discrepancies_list_every_error(tmp_path, fasta):
    compare(tmp_path, fasta, [(4, "T", "C", "0/1")], [(9, "C", "G", "0/1")])
    lines = (tmp_path / "out.discrepancies.tsv").read_text().splitlines()
    assert lines[0].split("\t") == [
        "method", "status", "type", "chrom", "pos", "ref", "alt", "genotype"
    ]  # fmt: skip
    assert "allele\tFN\tSNV\tchrT\t4\tT\tC\t0/1" in lines
    assert "haplotype_genotype\tFP\tSNV\tchrT\t9\tC\tG\t0/1" in lines
    table = (tmp_path / "out.tsv").read_text().splitlines()
    assert len(table) == 1 + 4 * 3


def test_missing_truth_is_reported(tmp_path, fasta, capsys):
    calls = write_vcf(tmp_path / "calls.vcf.gz", [(4, "T", "C", "0/1")])
    argv = ["compare", "--truth", str(tmp_path / "none.vcf.gz"), "--ref", str(fasta)]
    assert main([*argv, str(calls), "--out", str(tmp_path / "x")]) == 2
    assert "none.vcf.gz: file not found" in capsys.readouterr().err


def test_clusters_join_variants_within_the_gap_only():
    truth = [Variant("c", 10, "A", "G", 1), Variant("c", 40, "A", "G", 1)]
    calls = [Variant("c", 15, "A", "G", 1), Variant("d", 15, "A", "G", 1)]
    assert list(clusters(truth, calls, gap=10)) == [([0], [0]), ([1], []), ([], [1])]


def test_haplotype_matching_needs_no_phase_from_the_calls():
    sequence = "ACGTACGTACGTACGT"
    truth = [Variant("c", 2, "G", "T", 1), Variant("c", 3, "T", "A", 1)]  # on different haps
    calls = [Variant("c", 2, "GT", "TA", 1)]  # both on one haplotype: a different diploid
    result = match_haplotypes(truth, calls, lambda c, s, e: sequence[s:e], genotype=True)
    assert result.outcome.query_matched == [True]  # truth can be phased to agree
    assert result.fallback_clusters == 0


# Spanning-deletion (`*`) alleles: a `*,C` 1/2 record says one haplotype is covered by a
# deletion written elsewhere and the other carries C.


def test_spanning_deletion_allele_spells_nothing(tmp_path, fasta):
    ref = ref_at(45, 3)
    deletion = (45, ref, ref[0], "0/1")  # removes 46-47
    snv = other(ref_at(46))
    truth = [deletion, (46, ref_at(46), f"*,{snv}", "1/2")]
    calls = [deletion, (46, ref_at(46), snv, "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    for method in ("allele", "genotype", "haplotype", "haplotype_genotype"):
        assert counts(metrics, method) == (2, 0, 2, 0), method
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["incomplete_truth"] == []


def test_allele_beside_a_spanning_deletion_cannot_share_its_haplotype(tmp_path, fasta):
    ref = ref_at(45, 3)
    deletion = (45, ref, ref[0], "0/1")
    snv = other(ref_at(46))
    truth = [deletion, (46, ref_at(46), f"*,{snv}", "1/2")]
    calls = [deletion, (46, ref_at(46), snv, "1/1")]  # C on the deleted haplotype too
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "haplotype_genotype") == (1, 1, 1, 1)


def test_spanning_deletion_found_after_left_alignment(tmp_path, fasta):
    # AA deleted from the homopolymer at 21-26, written right-aligned (removing 25-26)
    # as a caller would; normalisation moves it to 20, yet it still covers the `*` at 26.
    snv = other(ref_at(26))
    truth = [(24, "AAA", "A", "0/1"), (26, "A", f"*,{snv}", "1/2")]
    calls = [(20, "TAA", "T", "0/1"), (26, "A", snv, "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    assert counts(metrics, "haplotype_genotype") == (2, 0, 2, 0)
    assert json.loads((tmp_path / "out.json").read_text())["incomplete_truth"] == []


def test_spanning_deletion_without_its_deletion_leaves_the_locus_unjudged(tmp_path, fasta):
    # The truth's `*` says a deletion covers 46 on one haplotype, but the truth has none:
    # whatever the calls say there cannot be judged. Elsewhere counting goes on.
    snv = other(ref_at(46))
    truth = [(4, "T", "C", "0/1"), (46, ref_at(46), f"*,{snv}", "1/2")]
    calls = [(4, "T", "C", "0/1"), (45, ref_at(45, 3), "A" + snv + "A", "0/1")]
    metrics = compare(tmp_path, fasta, truth, calls)
    for method in ("allele", "haplotype_genotype"):
        row = metrics[(method, "ALL")]
        assert counts(metrics, method) == (1, 0, 1, 0), method
        assert (row["truth_unknown"], row["query_unknown"]) == (1, 1)
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["incomplete_truth"] == [{"chrom": "chrT", "pos": 46}]
    assert report["haplotype_clusters"]["haplotype_genotype"]["unknown_clusters"] == 1
    lines = (tmp_path / "out.discrepancies.tsv").read_text().splitlines()
    assert f"haplotype_genotype\tUNK_TRUTH\tSNV\tchrT\t46\t{ref_at(46)}\t{snv}\t0/1" in lines
    assert sum("\tUNK_CALL\t" in line for line in lines) == 4  # one per method
    assert not any("\tFP\t" in line or "\tFN\t" in line for line in lines)


def test_spanning_deletion_only_record_is_no_variant(tmp_path, fasta):
    ref = ref_at(45, 3)
    deletion = (45, ref, ref[0], "1/1")
    truth = [deletion, (46, ref_at(46), "*", "1/1")]
    metrics = compare(tmp_path, fasta, truth, [deletion])
    assert counts(metrics, "haplotype_genotype") == (1, 0, 1, 0)
    assert metrics[("allele", "ALL")]["truth_total"] == 1
