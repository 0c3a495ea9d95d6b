"""Sample QC: call rate, Ti/Tv, het/hom-alt, sex inference and the flags built on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cohort_vcfs import write_vcf
from varnode.cli import main
from varnode.cohort.sample_qc import QcThresholds, SexRules, infer_sex, robust_z, sample_qc
from varnode.common.config import config_default
from varnode.errors import VarnodeError

CONTIGS = {"chr1": 5_000_000, "chrX": 156_040_895, "chrY": 57_227_415}
SEX = config_default("cohort", "sex")
RULES = SexRules(
    x_contigs=tuple(SEX["x_contigs"]),
    y_contigs=tuple(SEX["y_contigs"]),
    mito_contigs=tuple(SEX["mito_contigs"]),
    par_regions=(("chrX", 10_001, 2_781_479),),
    min_x_calls=SEX["min_x_calls"],
    male_max_x_het=SEX["male_max_x_het"],
    female_min_x_het=SEX["female_min_x_het"],
    male_max_x_depth_ratio=SEX["male_max_x_depth_ratio"],
    male_min_y_depth_ratio=SEX["male_min_y_depth_ratio"],
)
THRESHOLDS = QcThresholds(**config_default("cohort", "qc"))
CHUNK = config_default("cohort", "chunk_size")


def by_sample(report: dict) -> dict[str, dict]:
    return {row["sample"]: row for row in report["samples"]}


def test_call_rate_titv_and_het_hom_ratio(tmp_path: Path) -> None:
    records = [
        ("chr1", 100, "A", "G", ["0/1", "0/0"]),  # transition
        ("chr1", 200, "C", "T", ["1/1", "./."]),  # transition
        ("chr1", 300, "A", "C", ["0/1", "0/1"]),  # transversion
        ("chr1", 400, "G", "T", ["0/0", "1/1"]),  # transversion
        ("chr1", 500, "A", "AT", ["0/1", "./."]),  # indel
        ("chr1", 600, "A", "G,T", ["1/2", "0/0"]),  # multi-allelic SNV: not in Ti/Tv
    ]
    vcf = write_vcf(tmp_path / "c.vcf", ["a", "b"], records)
    rows = by_sample(sample_qc(str(vcf), {}, RULES, THRESHOLDS, CHUNK))
    a, b = rows["a"], rows["b"]
    assert a["call_rate"] == 1.0 and b["call_rate"] == pytest.approx(4 / 6)
    assert (a["n_snv"], a["n_indel"], b["n_snv"], b["n_indel"]) == (4, 1, 2, 0)
    assert (a["n_transitions"], a["n_transversions"], a["ti_tv"]) == (2, 1, 2.0)
    assert (b["n_transitions"], b["n_transversions"], b["ti_tv"]) == (0, 2, 0.0)
    assert (a["n_het"], a["n_hom_alt"], a["het_hom_ratio"]) == (4, 1, 4.0)
    assert "low_call_rate" in b["flags"] and a["flags"] == []


def sex_cohort(tmp_path: Path) -> Path:
    """A female (X het, full X depth, no Y) and a male (haploid X, half depth, Y reads)."""
    records = [("chr1", 1000 + i, "A", "G", ["0/1:30", "0/1:30"]) for i in range(30)]
    for i in range(30):
        female = "0/1:30" if i % 2 else "1/1:30"
        records.append(("chrX", 3_000_000 + i, "A", "G", [female, "1:15"]))
    # A pseudo-autosomal het in the male must not count as X heterozygosity.
    records += [("chrX", 50_000 + i, "C", "T", ["0/1:30", "0/1:30"]) for i in range(20)]
    records += [("chrY", 3_000_000 + i, "C", "T", ["./.:0", "1:15"]) for i in range(10)]
    return write_vcf(tmp_path / "sex.vcf", ["female", "male"], records, CONTIGS)


def test_sex_is_inferred_from_x_heterozygosity_and_depth(tmp_path: Path) -> None:
    rows = by_sample(
        sample_qc(str(sex_cohort(tmp_path)), {"female": "F", "male": "M"}, RULES, THRESHOLDS, CHUNK)
    )
    female, male = rows["female"], rows["male"]
    assert female["inferred_sex"] == "female" and male["inferred_sex"] == "male"
    assert female["x_het_fraction"] == pytest.approx(0.5)
    assert male["x_het_fraction"] == 0.0
    assert male["x_depth_ratio"] == pytest.approx(0.5)
    assert female["y_depth_ratio"] == 0.0 and male["y_depth_ratio"] == pytest.approx(0.5)
    assert female["flags"] == [] and male["flags"] == []


def test_sex_mismatch_with_the_sheet_is_flagged(tmp_path: Path) -> None:
    report = sample_qc(
        str(sex_cohort(tmp_path)), {"female": "F", "male": "F"}, RULES, THRESHOLDS, CHUNK
    )
    assert by_sample(report)["male"]["flags"] == ["sex_mismatch"]
    assert by_sample(report)["female"]["flags"] == []


def test_sex_is_unknown_without_sex_chromosomes(tmp_path: Path) -> None:
    records = [("chr1", 1000 + i, "A", "G", ["0/1:30"]) for i in range(30)]
    vcf = write_vcf(tmp_path / "autosomes.vcf", ["a"], records)
    row = by_sample(sample_qc(str(vcf), {"a": "M"}, RULES, THRESHOLDS, CHUNK))["a"]
    assert row["inferred_sex"] == "unknown"
    assert row["sex_evidence"] == "reference has no X chromosome"
    assert "sex_mismatch" not in row["flags"]


def test_disagreeing_sex_signals_are_ambiguous() -> None:
    sex, evidence = infer_sex(0.5, 40, 0.5, None, True, RULES)
    assert sex == "ambiguous"
    assert "X heterozygosity: female" in evidence and "X depth: male" in evidence
    assert infer_sex(0.5, 5, 1.0, None, True, RULES)[0] == "unknown"  # too few X calls


def test_outliers_need_a_cohort_and_use_robust_z(tmp_path: Path) -> None:
    z = robust_z([1.0, 1.1, 0.9, 1.0, 5.0])
    assert abs(z[-1]) > 4 and all(abs(v) < 2 for v in z[:-1])
    records = [("chr1", 100, "A", "G", ["0/1", "0/1", "0/1"])]
    report = sample_qc(
        str(write_vcf(tmp_path / "three.vcf", ["a", "b", "c"], records)),
        {},
        RULES,
        THRESHOLDS,
        CHUNK,
    )
    assert report["outlier_test"].startswith("skipped: 3 samples")


def test_cli_writes_tsv_and_json(tmp_path: Path) -> None:
    members = tmp_path / "members.tsv"
    members.write_text("female\tF\nmale\tM\n")
    tsv, js = tmp_path / "qc.tsv", tmp_path / "qc.json"
    code = main(
        [
            "sample-qc",
            str(sex_cohort(tmp_path)),
            "--sexes",
            str(members),
            "--tsv",
            str(tsv),
            "--json",
            str(js),
            "--par",
            "chrX:10001-2781479",
        ]
    )
    assert code == 0
    header, *rows = [line.split("\t") for line in tsv.read_text().splitlines()]
    table = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert table["male"]["inferred_sex"] == "male" and table["male"]["flags"] == "PASS"
    assert json.loads(js.read_text())["samples"][1]["inferred_sex"] == "male"


def test_one_sample_cohort_is_checked_and_outlier_test_skipped_with_a_reason(
    tmp_path: Path,
) -> None:
    vcf = write_vcf(
        tmp_path / "one.vcf",
        ["solo"],
        [("chr1", 100, "A", "G", ["0/1"]), ("chr1", 200, "C", "T", ["1/1"])],
        CONTIGS,
    )
    report = sample_qc(str(vcf), {}, RULES, THRESHOLDS, CHUNK)
    (row,) = report["samples"]
    assert row["call_rate"] == 1.0 and row["n_snv"] == 2
    assert report["outlier_test"] == "skipped: 1 samples, robust outlier test needs 10"


def write_summary(folder: Path, sample: str, means: dict[str, float]) -> str:
    """A mosdepth summary with whole-contig and --by region rows, as measure_depth writes."""
    lines = ["chrom\tlength\tbases\tmean\tmin\tmax"]
    for contig, mean in means.items():
        length = CONTIGS.get(contig, 16_569)
        bases = int(length * mean)
        lines += [
            f"{contig}\t{length}\t{bases}\t{mean}\t0\t90",
            f"{contig}_region\t{length}\t{bases}\t{mean}\t0\t90",
        ]
    lines.append("total\t1\t1\t1\t0\t90")
    path = folder / f"{sample}.mosdepth.summary.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_depth_for_sex_comes_from_the_mosdepth_summaries_when_given(tmp_path: Path) -> None:
    """The cohort's FORMAT/DP says the male's X is as deep as the female's (as a merged
    gVCF's block minima can); the mosdepth summaries, which count every base, decide."""
    records = [("chr1", 1000 + i, "A", "G", ["0/1:30", "0/1:30"]) for i in range(30)]
    records += [("chrX", 3_000_000 + i, "A", "G", ["0/1:30", "1:30"]) for i in range(30)]
    vcf = write_vcf(tmp_path / "c.vcf", ["female", "male"], records, CONTIGS)
    summaries = [
        write_summary(tmp_path, "female", {"chr1": 30, "chrX": 30, "chrY": 0.1, "chrM": 900}),
        write_summary(tmp_path, "male", {"chr1": 30, "chrX": 15, "chrY": 14}),
    ]
    sexes = {"female": "F", "male": "M"}
    from_dp = by_sample(sample_qc(str(vcf), sexes, RULES, THRESHOLDS, CHUNK))
    assert from_dp["male"]["x_depth_ratio"] == pytest.approx(1.0)
    report = sample_qc(str(vcf), sexes, RULES, THRESHOLDS, CHUNK, depth_summaries=summaries)
    rows = by_sample(report)
    assert report["depth_source"] == "mosdepth summaries"
    assert rows["male"]["x_depth_ratio"] == pytest.approx(0.5, abs=0.01)
    assert rows["male"]["y_depth_ratio"] == pytest.approx(14 / 30, abs=0.01)
    assert rows["female"]["x_depth_ratio"] == pytest.approx(1.0, abs=0.01)
    assert rows["female"]["mean_depth_autosomes"] == pytest.approx(30, abs=0.01)  # no chrM
    assert (rows["male"]["inferred_sex"], rows["female"]["inferred_sex"]) == ("male", "female")


def test_depth_summaries_must_cover_the_cohort_and_be_mosdepth_files(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "c.vcf", ["a", "b"], [("chr1", 100, "A", "G", ["0/1", "0/1"])])
    only_a = [write_summary(tmp_path, "a", {"chr1": 30})]
    with pytest.raises(VarnodeError, match="cohort holds"):
        sample_qc(str(vcf), {}, RULES, THRESHOLDS, CHUNK, depth_summaries=only_a)
    bad = tmp_path / "b.mosdepth.summary.txt"
    bad.write_text("not a summary\n")
    with pytest.raises(VarnodeError, match="not a mosdepth summary"):
        sample_qc(str(vcf), {}, RULES, THRESHOLDS, CHUNK, depth_summaries=[*only_a, str(bad)])
