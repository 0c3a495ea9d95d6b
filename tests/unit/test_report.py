"""Report parsers, tables, plots and pages on small real tool outputs (tests/unit/data/report,
cut from a pipeline run on the shared data)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest

from tests.unit.report_sources import SOURCES, layout_arguments
from varnode.accuracy.variants import Variant
from varnode.cli import main
from varnode.consensus.combine import Decision, vcf_text
from varnode.errors import VarnodeError
from varnode.provenance import metadata
from varnode.report import builders, cohort_vcf, display, parsers, plots, tables
from varnode.report.pages import Table, format_value
from varnode.simulation.files import write_indexed_vcf

DATA = Path(__file__).parent / "data" / "report"
README = Path(__file__).parents[2] / "workflow" / "report" / "README.md"


def test_fastp_counts():
    values = parsers.parse_fastp(DATA / "NA12878.L1.fastp.json")
    assert values["reads_before"] == 9898
    assert values["reads_after"] == 9828
    assert values["fastp_version"] == "0.23.2"


def test_samtools_stats_summary_and_insert_sizes():
    stats = parsers.parse_samtools_stats(DATA / "NA12878.samtools_stats.txt")
    assert stats["summary"]["raw total sequences"] == 9828
    assert stats["summary"]["reads mapped"] == 9824
    assert stats["summary"]["insert size average"] == 438.3
    assert all(pairs > 0 for _, pairs in stats["insert_sizes"])


def test_flagstat_rows():
    rows = parsers.parse_flagstat(DATA / "NA12878.flagstat.txt")
    mapped = next(row for row in rows if row["category"] == "mapped")
    assert mapped == {"category": "mapped", "qc_passed": 9826, "qc_failed": 0}
    categories = [row["category"] for row in rows]
    # Percentages and the total's legend are not part of a name; qualifiers are.
    assert categories[0] == "in total"
    assert "with mate mapped to a different chr" in categories
    assert "with mate mapped to a different chr (mapQ>=5)" in categories
    assert len(set(categories)) == len(categories)


def test_flagstat_of_newer_samtools_keeps_qualifiers_and_drops_na_percentages(tmp_path):
    path = tmp_path / "flagstat.txt"
    path.write_text(
        "10 + 2 in total (QC-passed reads + QC-failed reads)\n"
        "0 + 0 mapped (N/A : N/A)\n"
        "4 + 0 singletons (40.00% : 0.00%)\n"
        "1 + 0 with mate mapped to a different chr (mapQ>=5)\n"
    )
    assert [row["category"] for row in parsers.parse_flagstat(path)] == [
        "in total",
        "mapped",
        "singletons",
        "with mate mapped to a different chr (mapQ>=5)",
    ]


def test_markdup_and_mosdepth():
    counters = parsers.parse_markdup(DATA / "NA12878.markdup.txt")
    assert counters["DUPLICATE PRIMARY TOTAL"] == 1067
    assert counters["EXAMINED"] == 9824
    points = parsers.parse_mosdepth_dist(DATA / "NA12878.mosdepth.global.dist.txt")
    assert points[0] == (0, 1.0)
    assert tables.breadth_at(points, 20) == 0.98
    assert tables.breadth_at(points, 10_000) == 0.0


def test_bcftools_stats_counts_and_tstv():
    stats = parsers.parse_bcftools_stats(DATA / "NA12878.bcftools.stats.txt")
    assert (stats["records"], stats["snvs"], stats["indels"]) == (102, 77, 25)
    assert (stats["ts"], stats["tv"], stats["ts_tv"]) == (55, 22, 2.5)
    assert stats["counted"] == "all"


@pytest.mark.parametrize(
    ("command", "counted"),
    [
        ("bcftools stats  results/calls/A.bcftools.filtered.vcf.gz", "all"),
        ("bcftools stats --apply-filters PASS results/calls/A.vcf.gz", "PASS"),
        ("bcftools stats -f PASS results/calls/A.vcf.gz", "PASS"),
        ("bcftools stats -f 'PASS' results/calls/A.vcf.gz", "PASS"),
        ("bcftools stats -f PASS,. results/calls/A.vcf.gz", "all"),
        ("bcftools stats results/calls/PASS.vcf.gz", "all"),
    ],
)
def test_which_records_bcftools_stats_counted(command, counted):
    assert parsers.counted_records(f"# The command line was:\t{command}\n") == counted


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_filtered_stage_counts_pass_records_only(tmp_path):
    """The stats_variants rule's command on a soft-filtered VCF: PASS records only."""
    vcf = tmp_path / "A.bcftools.filtered.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr22,length=1000>\n"
        '##FILTER=<ID=LowQual,Description="low quality">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr22\t10\t.\tA\tG\t50\tPASS\t.\n"
        "chr22\t20\t.\tC\tT\t5\tLowQual\t.\n"
        "chr22\t30\t.\tAT\tA\t50\tPASS\t.\n"
        "chr22\t40\t.\tG\tC\t3\tLowQual\t.\n"
    )
    rule = (Path(__file__).parents[2] / "workflow/rules/report.smk").read_text()
    assert "bcftools stats {{input.calls[{index}]:q}} > {{params.partial.calls[{index}]" in rule
    assert '" && bcftools stats --apply-filters PASS {{input.filtered[{index}]:q}}"' in rule
    for stage, options in (("raw", []), ("filtered", ["--apply-filters", "PASS"])):
        stats = tmp_path / f"{stage}.txt"
        with stats.open("w") as handle:
            subprocess.run(["bcftools", "stats", *options, str(vcf)], stdout=handle, check=True)
        counts = parsers.parse_bcftools_stats(stats)
        if stage == "raw":
            assert (counts["records"], counts["snvs"], counts["counted"]) == (4, 3, "all")
        else:
            assert (counts["records"], counts["snvs"], counts["indels"]) == (2, 1, 1)
            assert counts["counted"] == "PASS"


@pytest.mark.parametrize(
    ("parser", "content", "message"),
    [
        (parsers.parse_fastp, "{not json", "not valid JSON"),
        (parsers.parse_fastp, "{}", "not a fastp report"),
        (parsers.parse_samtools_stats, "SN\tsequences:\t12\n", "raw total sequences"),
        (parsers.parse_flagstat, "garbage line\n", "line 1"),
        (parsers.parse_markdup, "READ: x\n", "line 1 (READ)"),
        (parsers.parse_mosdepth_dist, "chr1\t1\t0.5\n", "no 'total' rows"),
        (parsers.parse_bcftools_stats, "", "not bcftools stats"),
    ],
)
def test_broken_inputs_name_the_file(tmp_path, parser, content, message):
    path = tmp_path / "broken.txt"
    path.write_text(content)
    with pytest.raises(VarnodeError, match=re.escape(message)) as error:
        parser(path)
    assert str(path) in str(error.value)


def test_missing_file_is_a_section_problem(tmp_path):
    section = tables.load_file(parsers.parse_markdup, tmp_path / "absent.txt")
    assert not section.available
    assert "file not found" in section.problem


def test_qc_status_worst_metric_wins_and_missing_fails():
    thresholds = {
        "mapping_rate": {"warn_below": 0.95, "fail_below": 0.9},
        "duplicate_rate": {"warn_above": 0.2, "fail_above": 0.4},
    }
    assert tables.qc_status({"mapping_rate": 0.99, "duplicate_rate": 0.1}, thresholds) == (
        "pass",
        [],
    )
    status, reasons = tables.qc_status({"mapping_rate": 0.93, "duplicate_rate": 0.1}, thresholds)
    assert (status, reasons) == ("warn", ["warn: Mapped 93.0 % < 95.0 % (mapping_rate)"])
    # Each reason says which limit it crossed; fails first.
    status, reasons = tables.qc_status({"mapping_rate": 0.93, "duplicate_rate": 0.5}, thresholds)
    assert status == "fail"
    assert reasons == [
        "fail: Duplicates 50.0 % > 40.0 % (duplicate_rate)",
        "warn: Mapped 93.0 % < 95.0 % (mapping_rate)",
    ]
    status, reasons = tables.qc_status({"mapping_rate": None, "duplicate_rate": 0.1}, thresholds)
    assert (status, reasons) == ("fail", ["fail: mapping_rate not available (input missing)"])
    depth = {"mean_depth": {"warn_below": 20, "fail_below": 10}}
    assert tables.qc_status({"mean_depth": 11.68}, depth) == (
        "warn",
        ["warn: Mean depth 11.7\u00d7 < 20.0\u00d7 (mean_depth)"],
    )
    with pytest.raises(VarnodeError, match="unknown metric 'depth'"):
        tables.qc_status({"mapping_rate": 1.0}, {"depth": {"warn_below": 1}})


def test_outliers_by_the_sample_qc_rule_and_its_minimum_cohort():
    values = [30, 31, 29, 30, 90, 30, 31, 29, 30, 30]
    rows = [{"sample": f"s{i}", "depth": value} for i, value in enumerate(values)]
    rule = tables.OutlierRule(mads=4.0, min_samples=10)
    assert tables.outliers(rows, "sample", rule) == {("s4", "depth")}
    # The same rule as varnode sample-qc: too few samples, nothing is an outlier.
    assert tables.outliers(rows[:5], "sample", rule) == set()
    assert "needs 10" in rule.describe(5)
    # No spread: nothing can be called an outlier.
    flat = [{"sample": f"s{i}", "depth": 30} for i in range(10)]
    assert tables.outliers(flat, "sample", rule) == set()


def test_relatedness_shows_insufficient_data_as_such(tmp_path):
    summary = tables.relatedness_summary(DATA / "relatedness.tsv")
    # testN-testT: kinship 0.5 from 1 site is no estimate.
    assert summary["related"] == []
    assert dict(summary["counts"]) == {"insufficient_data": 3}
    assert [p["kinship"] for p in summary["insufficient"]] == [None, None, None]
    assert not summary["enough_sites"].any()
    table = tmp_path / "relatedness.tsv"
    table.write_text(
        "sample_a\tsample_b\tkinship\tn_sites\tflag\n"
        "A\tB\t0.2400\t900\tfirst-degree\n"
        "A\tC\t0.0100\t800\tunrelated\n"
        "B\tC\tNA\t0\tinsufficient_data\n"
    )
    summary = tables.relatedness_summary(table)
    assert summary["related"] == [
        {"sample_a": "A", "sample_b": "B", "kinship": 0.24, "n_sites": 900, "flag": "first-degree"}
    ]
    assert summary["counts"] == [("first-degree", 1), ("unrelated", 1), ("insufficient_data", 1)]
    assert summary["enough_sites"].tolist() == [True, True, False]


def test_cohort_vcf_spectrum_and_per_sample_counts(tmp_path):
    vcf = tmp_path / "cohort.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n"
        "chr1\t10\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\t0/0\n"  # AF 1/4
        "chr1\t20\t.\tC\tCT\t50\tPASS\t.\tGT\t1/1\t./.\n"  # AF 2/2
        "chr1\t30\t.\tG\tA,T\t50\tPASS\t.\tGT\t1/2\t0/1\n"  # A: 2/4, T: 1/4
    )
    summary = cohort_vcf.summarise_cohort_vcf(vcf, af_bins=4)
    assert [(row["snvs"], row["indels"]) for row in summary["af_spectrum"]] == [
        (0, 0),
        (2, 0),
        (1, 0),
        (0, 1),
    ]
    per_sample = {row["sample"]: row for row in summary["variants_per_sample"]}
    assert per_sample["A"] == {
        "sample": "A",
        "het": 1,
        "hom_alt": 2,
        "snvs": 2,
        "indels": 1,
        "variants": 3,
    }
    assert per_sample["B"]["het"] == 1


def test_plots_are_inline_svg_with_a_name():
    points = parsers.parse_mosdepth_dist(DATA / "NA12878.mosdepth.global.dist.txt")
    svg = plots.coverage_plot(points, [1, 10, 20], 32.55)
    assert svg.startswith("<svg ")
    assert 'aria-label="coverage distribution"' in svg
    assert "<path" in svg
    # Rendering twice gives the same text: reruns do not change pages.
    assert plots.coverage_plot(points, [1, 10, 20], 32.55) == svg
    assert "<text" not in plots.grouped_bar_plot(["a"], {"x": [1]}, "n", "bars", "x")  # no fonts


def test_numbers_read_with_their_units():
    assert display.display("reads_before_trimming", 9898) == "9.9 K"
    assert display.display("reads_before_trimming", 31_234_567) == "31.2 M"
    assert display.display("mapping_rate", 0.999593) == "99.96 %"
    assert display.display("duplicate_rate", 0.291085) == "29.1 %"
    assert display.display("mean_depth", 32.56) == "32.6\u00d7"
    assert display.display("breadth_10x", 1) == "100.0 %"
    assert display.display("insert_size_mean", 438.3) == "438 bp"
    assert display.display("sample", "A") is None
    assert display.display("mapping_rate", None) is None
    assert display.column("breadth_20x").definition.endswith("at least 20 reads")


def test_candidate_rows_name_the_closest_term_and_flag_rare_damaging():
    row = {
        "rank": "1",
        "chrom": "chr22",
        "pos": "100",
        "ref": "A",
        "alt": "G",
        "gene": "TTN",
        "consequence": "missense",
        "protein_change": "p.Trp320Arg",
        "population_af": "0.0001",
        "zygosity": "heterozygous",
        "score": "0.8",
        "explanation": "phenotype 0.700 (Lin best-match average vs TTN's 40 terms; closest: "
        "HP:0003198 Myopathy ~ HP:0003701 Proximal muscle weakness 0.85); consequence ...",
    }
    shown = builders._candidate_row(row)
    assert shown["phenotype_match"] == "Proximal muscle weakness (HP:0003701) 0.85"
    assert shown["variant"] == "chr22:100 A>G"
    assert (shown["_rare"], shown["_damaging"]) == (True, True)
    common = builders._candidate_row({**row, "population_af": "0.3", "consequence": "intron"})
    assert (common["_rare"], common["_damaging"]) == (False, False)


def test_table_tsv_holds_the_value_the_page_shows_with_its_unit():
    table = Table("t", ["sample", "rate", "missing"], [{"sample": "A", "rate": 0.1234567}])
    assert table.tsv() == "sample\trate\tmissing\nA\t0.123457\t\n"
    assert [cell["text"] for cell in table.cells()[0]] == ["A", "0.123457", ""]
    rates = Table("r", ["sample", "mapping_rate"], [{"sample": "A", "mapping_rate": 0.999593}])
    cell = rates.cells()[0][1]
    assert (cell["text"], cell["display"]) == ("0.999593", "99.96 %")
    assert rates.headers()[1] == {
        "name": "mapping_rate",
        "label": "Mapped",
        "title": "mapped / primary reads (samtools stats) (mapping_rate)",
    }
    assert format_value(1301852.0) == "1301852"


def test_tool_versions_from_real_version_outputs():
    versions = {
        entry["tool"]: entry["version"]
        for entry in metadata.tool_versions(sorted((DATA / "versions").glob("*.txt")))
    }
    assert versions == {
        "bcftools": "1.16",
        "bwa": "0.7.17-r1188",
        "fastp": "0.23.2",
        "freebayes": "1.3.6",
        "mosdepth": "0.3.3",
        "multiqc": "1.35",
        "samtools": "1.16.1",
    }
    with pytest.raises(VarnodeError, match="no version number"):
        metadata.parse_tool_version("foo", "command not found")


def test_run_started_from_snakemake_log_name(tmp_path):
    (tmp_path / "2026-11-22T131343.709721.snakemake.log").write_text("")
    (tmp_path / "2026-11-21T090000.000001.snakemake.log").write_text("")
    assert metadata.run_started(tmp_path).startswith("2026-11-22T13:13:43")
    assert metadata.run_started(tmp_path / "absent") is None


def _results_tree(root: Path) -> Path:
    """A results/ folder holding the fixtures at the pipeline's paths, for one sample."""
    results = root / "results"
    layout = {
        "NA12878.L1.fastp.json": "qc/fastp/NA12878.L1.fastp.json",
        "NA12878.samtools_stats.txt": "qc/samtools_stats/NA12878.txt",
        "NA12878.flagstat.txt": "qc/samtools_flagstat/NA12878.txt",
        "NA12878.markdup.txt": "qc/markdup/NA12878.markdup.txt",
        "NA12878.mosdepth.summary.txt": "qc/mosdepth/NA12878.mosdepth.summary.txt",
        "NA12878.mosdepth.global.dist.txt": "qc/mosdepth/NA12878.mosdepth.global.dist.txt",
        "NA12878.bcftools.stats.txt": "qc/bcftools_stats/NA12878.bcftools.txt",
        "relatedness.tsv": "cohort/relatedness.tsv",
        "sample_qc.tsv": "cohort/sample_qc.tsv",
    }
    for name, target in layout.items():
        (results / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / name, results / target)
    sheet = root / "samples.tsv"
    sheet.write_text("sample\tunit\nNA12878\tL1\nbroken\tL1\n")
    # A second sample whose QC is partly absent and partly broken.
    (results / "qc" / "markdup" / "broken.markdup.txt").write_text("nonsense\n")
    return results


def test_report_command_writes_pages_and_notes_missing_inputs(tmp_path):
    results = _results_tree(tmp_path)
    out = tmp_path / "report"
    code = main(
        [
            "report",
            *layout_arguments(results),
            "--results",
            str(results),
            "--sample-sheet",
            str(tmp_path / "samples.tsv"),
            "--callers",
            "bcftools",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    metrics = {row["sample"]: row for row in parsers.read_tsv(out / "tables/sample_metrics.tsv")}
    assert metrics["NA12878"]["mapping_rate"] == "0.999593"
    assert metrics["NA12878"]["qc_status"] == "pass"
    assert metrics["broken"]["qc_status"] == "fail"
    assert metrics["broken"]["mapping_rate"] == ""

    good = (out / "sample-NA12878.html").read_text()
    assert "0.999593" in good
    assert "<svg " in good
    broken = (out / "sample-broken.html").read_text()
    assert "Not available: " in broken
    assert "not samtools markdup statistics" in broken
    cohort = (out / "cohort.html").read_text()
    assert "insufficient data" in cohort and "0.500" not in cohort
    assert "cohort.vcf.gz: file not found" in cohort
    # No HPO terms in the sheet: candidates were not requested, which is not a failure.
    assert "Not requested: the sample sheet gives this sample no HPO terms" in good
    # Raw inputs are copied beside the pages so the folder stands alone.
    assert (out / "raw/qc/markdup/NA12878.markdup.txt").read_text() == (
        DATA / "NA12878.markdup.txt"
    ).read_text()
    # Pages reference nothing outside the folder and nothing on the network, except the
    # run's RO-Crate beside it: it holds the pages' checksums, so it is written after them.
    for page in out.glob("*.html"):
        text = page.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        if page.name == "index.html":
            assert 'href="../ro-crate-metadata.json"' in text
        for href in re.findall(r'href="(?!data:)([^"#]+)"', text):
            if href != "../ro-crate-metadata.json":
                assert (out / href).is_file(), f"{page.name} links to missing {href}"
    page_tables = json.loads((out / "tables/sample-NA12878.json").read_text())
    assert page_tables["NA12878.variants"][0]["ts_tv"] == 2.5


def test_every_table_column_is_documented():
    documented = README.read_text()
    columns = set(builders.FASTP_COLUMNS) | set(builders.VARIANT_COLUMNS)
    columns |= set(builders.CANDIDATE_COLUMNS) | set(builders.SAMPLE_QC_SHOWN)
    columns |= set(builders.COHORT_METRICS) | set(builders.INDEX_METRICS)
    fixtures = {role: str(DATA / "absent") for role in SOURCES} | {
        "fastp": str(DATA / "{sample}.{unit}.fastp.json"),
        "samtools_stats": str(DATA / "{sample}.samtools_stats.txt"),
        "flagstat": str(DATA / "{sample}.flagstat.txt"),
        "markdup": str(DATA / "{sample}.markdup.txt"),
        "mosdepth_summary": str(DATA / "{sample}.mosdepth.summary.txt"),
        "mosdepth_dist": str(DATA / "{sample}.mosdepth.global.dist.txt"),
    }
    report = tables.load_sample(fixtures, "NA12878", ["L1"], [])
    columns |= set(tables.sample_metrics(report, [1, 10, 20]))
    for column in sorted(columns - {"breadth_1x", "breadth_10x", "breadth_20x"}):
        assert f"`{column}`" in documented or f"`{column}`," in documented, column


def test_cohort_page_states_why_a_one_sample_cohort_has_no_relatedness(tmp_path):
    results = _results_tree(tmp_path)
    reason = "relatedness needs at least 2 samples, found 1 in results/cohort/normalized.bcf"
    (results / "cohort/relatedness.tsv").write_text(
        f"## skipped: {reason}\nsample_a\tsample_b\tkinship\n"
    )
    outlier_test = "skipped: 1 samples, robust outlier test needs 10"
    (results / "cohort/sample_qc.json").write_text(json.dumps({"outlier_test": outlier_test}))
    (tmp_path / "samples.tsv").write_text("sample\tunit\nNA12878\tL1\n")
    out = tmp_path / "report"
    arguments = [*layout_arguments(results), "--results", str(results)]
    arguments += ["--sample-sheet", str(tmp_path / "samples.tsv")]
    assert main(["report", *arguments, "--callers", "bcftools", "-o", str(out)]) == 0
    cohort = (out / "cohort.html").read_text()
    assert f"Skipped: {reason}" in cohort
    assert f"Outlier test (flags outlier_*): {outlier_test}" in cohort
    assert "kinship histogram" not in cohort


def test_sample_sheet_saved_by_a_spreadsheet_lists_its_units(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_bytes(b"\xef\xbb\xbfsample\tunit\r\nA\tL1\r\nA\tL2\r\n")
    assert tables.read_units(sheet) == {"A": ["L1", "L2"]}


def test_sample_page_shows_consensus_decisions_and_accuracy_of_each_call_set(tmp_path):
    results = _results_tree(tmp_path)
    snv, indel = Variant("chr22", 9, "A", "G", 1, 50.0), Variant("chr22", 19, "AT", "A", 2, 5.0)
    decisions = [
        Decision(snv, "freebayes", "both", ("bcftools", "freebayes"), True, "PASS"),
        Decision(indel, "bcftools", "bcftools_only", ("bcftools",), False, "SingleCaller"),
    ]
    consensus_vcf = results / "calls" / "NA12878.consensus.vcf.gz"
    consensus_vcf.parent.mkdir(parents=True, exist_ok=True)
    write_indexed_vcf(consensus_vcf, vcf_text(decisions, [("chr22", 100)], "NA12878"))
    header = (
        "method\ttype\ttruth_total\ttruth_tp\tfn\tquery_total\tquery_tp\tfp\tprecision\trecall\tf1"
    )
    for call_set, f1 in (("bcftools", "0.985222"), ("consensus", "0.99768")):
        table = results / "accuracy" / f"NA12878.{call_set}.accuracy.tsv"
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_text(
            f"{header}\nhaplotype_genotype\tINDEL\t203\t200\t3\t203\t200\t3\t{f1}\t{f1}\t{f1}\n"
            "haplotype_genotype\tALL\t635\t632\t3\t635\t632\t3\t0.99\t0.99\t0.99\n"
        )
    out = tmp_path / "report"
    argv = ["report", *layout_arguments(results), "--results", str(results)]
    argv += ["--sample-sheet", str(tmp_path / "samples.tsv")]
    assert main([*argv, "--callers", "bcftools", "-o", str(out)]) == 0
    page = (out / "sample-NA12878.html").read_text()
    assert "Calling accuracy against the truth set" in page
    assert "Consensus of the callers" in page
    tables_json = json.loads((out / "tables/sample-NA12878.json").read_text())
    assert tables_json["NA12878.consensus"] == [
        {"decision": "bcftools_only", "filter": "SingleCaller", "records": 1},
        {"decision": "both", "filter": "PASS", "records": 1},
    ]
    rows = json.loads((out / "tables/sample-NA12878.json").read_text())["NA12878.accuracy"]
    assert [(row["call_set"], row["type"], row["f1"]) for row in rows] == [
        ("bcftools", "INDEL", 0.985222),
        ("consensus", "INDEL", 0.99768),
    ]
    assert "Calling accuracy" not in (out / "sample-broken.html").read_text()
    assert "Consensus of the callers" not in (out / "sample-broken.html").read_text()


def test_index_counts_verdicts_and_caps_the_first_screen(tmp_path):
    reports = []
    for number in range(25):
        report = tables.SampleReport(f"S{number:02d}", ["L1"], {}, {}, {}, {})
        report.metrics = {"sample": report.sample, "mean_depth": 5.0 if number else 30.0}
        report.qc_status, report.qc_reasons = tables.qc_status(
            report.metrics, {"mean_depth": {"warn_below": 20, "fail_below": 10}}
        )
        reports.append(report)
    results = tmp_path / "results"
    (results / "aligned").mkdir(parents=True)
    (results / "aligned" / "S00.bam").write_text("")
    path = partial(tables.source, {role: f"{results}/{p}" for role, p in SOURCES.items()})
    files = {r.sample: builders.deliverables(path, r.sample, ["bcftools"], False) for r in reports}
    table = builders.deliverables_table(reports, files, lambda path: path.name, results)
    page = builders.index_page(reports, {}, [], {}, builders.CohortFindings(), table)
    overview = page.blocks[0]
    assert overview.counts == [("pass", 1), ("warn", 0), ("fail", 24)]
    assert len(overview.items) == builders.ITEMS_PER_KIND + 1
    assert overview.items[-1] == ("info", "… and 4 more", "#samples")
    cells = {cell["column"]: cell for cell in table.cells()[0]}
    assert (cells["alignments"]["display"], cells["alignments"]["href"]) == ("BAM", "S00.bam")
    assert (
        cells["bcftools calls"]["display"] == "missing" and cells["bcftools calls"]["href"] is None
    )
    assert "bcftools candidates" not in table.columns  # no HPO terms: not requested


def test_sources_must_name_every_role_with_its_placeholders(tmp_path):
    given = dict(SOURCES, markdup="qc/markdup/{sample}.{unit}.txt", extra="x/{sample}")
    del given["relatedness"]
    with pytest.raises(VarnodeError) as error:
        tables.check_sources(given)
    message = str(error.value)
    assert "relatedness: missing" in message
    assert "extra: not a role the report reads" in message
    assert "markdup: 'qc/markdup/{sample}.{unit}.txt' must use the placeholders sample" in message
