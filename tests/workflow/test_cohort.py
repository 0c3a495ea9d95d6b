"""Cohort aggregation on ../shared/data, and how the cohort grows and shrinks.

One module-wide sequence of real runs: NA12878 + testN first, then an HPO term is given to
NA12878, then testT is added to the sheet, then testN is removed. Snakemake's dry-run plan
is recorded before each change is run, and the three-sample cohort is kept aside for the
content checks.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pysam
import pytest

from tests.conftest import snakemake

pytestmark = pytest.mark.workflow

COHORT_TARGETS = [
    "results/cohort/cohort.vcf.gz",
    "results/cohort/cohort.sites.vcf.gz",
    "results/cohort/sample_qc.tsv",
    "results/cohort/sample_qc.json",
    "results/cohort/relatedness.tsv",
]
PER_SAMPLE_RULES = {
    "trim_reads",
    "align_reads",
    "mark_duplicates",
    "measure_depth",
    "call_variants_bcftools",
    "gather_bcftools_shards",
}
COHORT_RULES = {
    "list_cohort_members",
    "merge_cohort_shard",
    "gather_cohort",
    "count_cohort_alleles",
    "annotate_cohort",
    "extract_cohort_sites",
    "check_sample_qc",
    "estimate_relatedness",
}


@dataclass
class CohortHistory:
    three_samples: Path  # results/cohort as it was with all three samples
    phenotype_plan: list[tuple[str, str]]  # planned after an HPO edit of the sheet
    added_plan: list[tuple[str, str]]  # (rule, wildcards) planned after adding testT
    added_inputs: list[str]  # every input file of the jobs planned after adding testT
    removed_plan: list[tuple[str, str]]
    kept_bams_untouched: bool
    samples_after_removal: list[str]


def write_sheet(workdir: Path, full_sheet: str, samples: set[str], hpo: str = "") -> None:
    """The sheet restricted to `samples`, NA12878 given the HPO terms `hpo`."""
    header, *rows = full_sheet.splitlines(keepends=True)
    chosen = [row for row in rows if row.split("\t", 1)[0] in samples]
    chosen = [
        row.rstrip("\n").rsplit("\t", 1)[0] + f"\t{hpo}\n" if row.startswith("NA12878") else row
        for row in chosen
    ]
    (workdir / "config" / "samples.tsv").write_text(header + "".join(chosen))


def planned_jobs(workdir: Path, inputs: list[str] | None = None) -> list[tuple[str, str]]:
    """(rule, wildcards) of each job Snakemake plans; `inputs` collects their input files."""
    result = snakemake(workdir, "--dry-run", *COHORT_TARGETS)
    text = result.stdout + result.stderr
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        match = re.match(r"(?:local)?rule (\w+):", block.strip())
        if match:
            wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            jobs.append((match.group(1), wildcards.group(1) if wildcards else ""))
            listed = re.search(r"^\s+input: (.*)$", block, re.M)
            if inputs is not None and listed:
                inputs += listed.group(1).split(", ")
    return jobs


@pytest.fixture(scope="module")
def history(make_workdir, tmp_path_factory) -> CohortHistory:
    workdir = make_workdir("cohort", callers=["bcftools"])
    full_sheet = (workdir / "config" / "samples.tsv").read_text()
    write_sheet(workdir, full_sheet, {"NA12878", "testN"})
    snakemake(workdir, "--cores", "2", *COHORT_TARGETS)
    bams = [workdir / "results" / "aligned" / f"{s}.bam" for s in ("NA12878", "testN")]
    mtimes = [bam.stat().st_mtime_ns for bam in bams]

    write_sheet(workdir, full_sheet, {"NA12878", "testN"}, hpo="HP:0003198")
    phenotype_plan = planned_jobs(workdir)

    write_sheet(workdir, full_sheet, {"NA12878", "testN", "testT"})
    added_inputs: list[str] = []
    added_plan = planned_jobs(workdir, added_inputs)
    snakemake(workdir, "--cores", "2", *COHORT_TARGETS)
    kept = [bam.stat().st_mtime_ns for bam in bams] == mtimes
    three = tmp_path_factory.mktemp("three_samples") / "cohort"
    shutil.copytree(workdir / "results" / "cohort", three)

    write_sheet(workdir, full_sheet, {"NA12878", "testT"})
    removed_plan = planned_jobs(workdir)
    snakemake(workdir, "--cores", "2", *COHORT_TARGETS)
    with pysam.VariantFile(str(workdir / "results" / "cohort" / "cohort.vcf.gz")) as vcf:
        remaining = list(vcf.header.samples)
    return CohortHistory(
        three, phenotype_plan, added_plan, added_inputs, removed_plan, kept, remaining
    )


def test_cohort_vcf_holds_all_samples_and_is_indexed(history: CohortHistory) -> None:
    cohort = history.three_samples / "cohort.vcf.gz"
    assert (history.three_samples / "cohort.vcf.gz.tbi").is_file()
    with pysam.VariantFile(str(cohort)) as vcf:
        assert list(vcf.header.samples) == ["NA12878", "testN", "testT"]
        records = list(vcf.fetch("chr22"))
    assert len(records) > 50
    assert all(len(record.alts) == 1 for record in records)  # normalised, split


def test_allele_counts_agree_with_an_independent_count(history: CohortHistory) -> None:
    with pysam.VariantFile(str(history.three_samples / "cohort.vcf.gz")) as vcf:
        for record in vcf:
            alleles = [
                allele
                for sample in record.samples.values()
                for allele in sample["GT"]
                if allele is not None
            ]
            an, ac = len(alleles), alleles.count(1)
            hom = sum(2 for sample in record.samples.values() if sample["GT"] == (1, 1))
            assert record.info["AN"] == an, record.pos
            assert record.info["AC"] == (ac,), record.pos
            assert record.info["AC_Hom"] == (hom,), record.pos
            assert (
                record.info["AC_Het"][0] + record.info["AC_Hom"][0] + record.info["AC_Hemi"][0]
                == ac
            )
            if an:
                assert record.info["AF"][0] == pytest.approx(ac / an, rel=1e-5)


def test_sites_only_export_has_no_samples_or_per_sample_fields(history: CohortHistory) -> None:
    sites = history.three_samples / "cohort.sites.vcf.gz"
    assert (history.three_samples / "cohort.sites.vcf.gz.tbi").is_file()
    with pysam.VariantFile(str(sites)) as vcf:
        header = str(vcf.header)
        assert len(vcf.header.samples) == 0
        assert not list(vcf.header.formats)
        records = list(vcf)
    assert header.splitlines()[-1].split("\t")[-1] == "INFO"
    for name in ("NA12878", "testN", "testT"):
        assert name not in header  # not even in recorded command lines
    with pysam.VariantFile(str(history.three_samples / "cohort.vcf.gz")) as vcf:
        full = [(r.pos, r.alts, r.info["AC"], r.info["AN"]) for r in vcf]
    assert [(r.pos, r.alts, r.info["AC"], r.info["AN"]) for r in records] == full


def read_tsv(path: Path) -> list[dict[str, str]]:
    header, *rows = [line.split("\t") for line in path.read_text().splitlines()]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_relatedness_is_honest_about_the_few_shared_sites(history: CohortHistory) -> None:
    """testN/testT (one person) share ~1.2 kb of coverage with each other and NA12878.

    The KING estimate points the right way (testN-testT duplicate, NA12878 unrelated),
    but it rests on a handful of sites, so no pair may be given a degree.
    """
    pairs = {
        frozenset((row["sample_a"], row["sample_b"])): row
        for row in read_tsv(history.three_samples / "relatedness.tsv")
    }
    assert len(pairs) == 3
    same_person = pairs[frozenset(("testN", "testT"))]
    assert same_person["estimate_degree"] == "duplicate"
    assert float(same_person["kinship"]) > 0.354
    for other in ("testN", "testT"):
        assert pairs[frozenset(("NA12878", other))]["estimate_degree"] == "unrelated"
    for row in pairs.values():
        assert 0 < int(row["n_sites"]) < 200
        assert row["flag"] == "insufficient_data"


def test_sample_qc_reports_every_sample(history: CohortHistory) -> None:
    rows = {row["sample"]: row for row in read_tsv(history.three_samples / "sample_qc.tsv")}
    assert set(rows) == {"NA12878", "testN", "testT"}
    na12878 = rows["NA12878"]
    assert float(na12878["call_rate"]) > 0.95
    assert 1.5 < float(na12878["ti_tv"]) < 4
    # The slice has no sex chromosomes: no sex call, so no mismatch with the sheet's female.
    assert na12878["inferred_sex"] == "unknown" and na12878["sheet_sex"] == "female"
    # testN/testT are targeted: called only over ~1.2 kb of the 40 kb slice.
    for targeted in ("testN", "testT"):
        assert "low_call_rate" in rows[targeted]["flags"]
    assert (history.three_samples / "sample_qc.json").stat().st_size > 0


def test_adding_a_sample_reruns_only_its_own_jobs_and_the_cohort(history) -> None:
    rules = {rule for rule, _ in history.added_plan}
    per_sample = [(rule, wc) for rule, wc in history.added_plan if rule in PER_SAMPLE_RULES]
    assert per_sample, "the new sample's alignment jobs were not planned"
    assert all("sample=testT" in wc for _, wc in per_sample)
    assert rules >= COHORT_RULES
    assert rules <= PER_SAMPLE_RULES | COHORT_RULES
    assert history.kept_bams_untouched


def test_adding_a_sample_reads_no_other_sample_alignment(history) -> None:
    """The cohort is merged from gVCFs: the plan reads testT's alignment, nobody else's."""
    alignments = {path for path in history.added_inputs if path.startswith("results/aligned/")}
    assert "results/aligned/testT.bam" in alignments
    assert not [path for path in alignments if "NA12878" in path or "testN" in path]
    assert "results/gvcf/NA12878.g.vcf.gz" in history.added_inputs


def test_a_sheet_edit_that_keeps_the_members_reruns_nothing_of_the_cohort(history) -> None:
    assert history.phenotype_plan == []


def test_removing_a_sample_rebuilds_the_cohort_without_it(history) -> None:
    rules = {rule for rule, _ in history.removed_plan}
    assert rules == COHORT_RULES
    assert history.samples_after_removal == ["NA12878", "testT"]
