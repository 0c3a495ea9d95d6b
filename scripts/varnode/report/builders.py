"""Page builders: parsed sections -> blocks of tables and plots for the sample, cohort and
index pages. Every number shown is in a `Table`, which is also written as TSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from varnode.report import plots
from varnode.report.pages import Block, Page, Table
from varnode.report.tables import SampleReport, Section

RawLinker = Callable[[Path], tuple[str, str | None]]

FASTP_COLUMNS = [
    "unit",
    "reads_before",
    "reads_after",
    "bases_after",
    "q30_bases_after",
    "gc_content_after",
    "low_quality_reads",
    "too_many_n_reads",
    "too_short_reads",
    "adapter_trimmed_reads",
]
VARIANT_COLUMNS = [
    "caller",
    "stage",
    "records",
    "snvs",
    "indels",
    "mnps",
    "others",
    "multiallelic_sites",
    "ts",
    "tv",
    "ts_tv",
]
INDEX_METRICS = [
    "reads_before_trimming",
    "mapping_rate",
    "duplicate_rate",
    "mean_depth",
    "breadth_10x",
]


def sample_page_name(sample: str) -> str:
    return f"sample-{sample}.html"


def _block(block_id: str, title: str, sections: list[Section], link: RawLinker) -> Block:
    """A block whose raw links are its sections' sources; unavailable if any section is."""
    problems = [section.problem for section in sections if not section.available]
    raw = [link(path) for section in sections for path in section.sources]
    return Block(block_id, title, problem="; ".join(problems) or None, raw=raw)


def metric_rows(metrics: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    return [{"metric": name, "value": metrics.get(name)} for name in names]


def sample_page(report: SampleReport, coverage_thresholds: list[int], link: RawLinker) -> Page:
    sample, sections, metrics = report.sample, report.sections, report.metrics
    blocks = []

    summary = Block("summary", "Summary")
    summary.tables.append(
        Table(f"{sample}.metrics", ["metric", "value"], metric_rows(metrics, list(metrics)[1:]))
    )
    blocks.append(summary)

    reads = _block("reads", "Reads and trimming (fastp)", [sections["fastp"]], link)
    if not reads.problem:
        rows = [
            {"unit": unit, **values}
            for unit, values in zip(report.units, sections["fastp"].value, strict=True)
        ]
        reads.tables.append(Table(f"{sample}.fastp", FASTP_COLUMNS, rows))
    blocks.append(reads)

    mapping = _block("mapping", "Mapping (samtools flagstat)", [sections["flagstat"]], link)
    if not mapping.problem:
        mapping.tables.append(
            Table(
                f"{sample}.flagstat",
                ["category", "qc_passed", "qc_failed"],
                sections["flagstat"].value,
            )
        )
    blocks.append(mapping)

    duplicates = _block("duplicates", "Duplicates (samtools markdup)", [sections["markdup"]], link)
    if not duplicates.problem:
        duplicates.tables.append(
            Table(
                f"{sample}.markdup",
                ["counter", "reads"],
                [{"counter": k, "reads": v} for k, v in sections["markdup"].value.items()],
            )
        )
    blocks.append(duplicates)

    insert = _block(
        "insert-size", "Insert size (samtools stats)", [sections["samtools_stats"]], link
    )
    if not insert.problem:
        histogram = sections["samtools_stats"].value["insert_sizes"]
        insert.notes.append(
            f"mean {metrics['insert_size_mean']}, standard deviation {metrics['insert_size_sd']}"
        )
        insert.plots.append(plots.insert_size_plot(histogram))
        insert.tables.append(
            Table(
                f"{sample}.insert_size",
                ["insert_size", "pairs"],
                [{"insert_size": size, "pairs": pairs} for size, pairs in histogram if pairs],
            )
        )
    blocks.append(insert)

    coverage = _block(
        "coverage",
        "Coverage (mosdepth)",
        [sections["mosdepth_summary"], sections["mosdepth_dist"]],
        link,
    )
    if not coverage.problem:
        points = sections["mosdepth_dist"].value
        coverage.plots.append(plots.coverage_plot(points, coverage_thresholds))
        coverage.tables.append(
            Table(
                f"{sample}.breadth",
                ["min_depth", "fraction_of_bases"],
                [
                    {"min_depth": t, "fraction_of_bases": metrics[f"breadth_{t}x"]}
                    for t in coverage_thresholds
                ],
            )
        )
        coverage.tables.append(
            Table(
                f"{sample}.coverage_summary",
                ["chrom", "length", "bases", "mean", "min", "max"],
                sections["mosdepth_summary"].value,
            )
        )
    blocks.append(coverage)

    blocks.append(_variants_block(report, link))
    blocks.extend(
        _per_caller_blocks(report, "filters", "Filter counts", report.filter_sections, link)
    )
    blocks.extend(
        _per_caller_blocks(
            report, "candidates", "Candidate variants", report.candidate_sections, link
        )
    )
    if report.consensus_section:
        consensus = _block(
            "consensus", "Consensus of the callers", [report.consensus_section], link
        )
        if not consensus.problem:
            consensus.notes.append(
                "results/calls/<sample>.consensus.vcf.gz records by INFO/CONSENSUS decision"
                " (both callers agree, one caller only, or a conflict) and FILTER."
            )
            consensus.tables.append(
                Table(
                    f"{sample}.consensus",
                    ["decision", "filter", "records"],
                    report.consensus_section.value,
                )
            )
        blocks.append(consensus)
    if report.accuracy_sections:
        blocks.append(_accuracy_block(report, link))
    return Page(
        sample_page_name(sample),
        f"Sample {sample}",
        blocks,
        status=report.qc_status,
        status_reasons=report.qc_reasons,
    )


def _variants_block(report: SampleReport, link: RawLinker) -> Block:
    block = Block("variants", "Variant counts by type and Ti/Tv (bcftools stats)")
    rows = []
    for (caller, stage), section in report.variant_sections.items():
        if section.available:
            rows.append({"caller": caller, "stage": stage, **section.value})
            block.raw.extend(link(path) for path in section.sources)
        elif stage == "raw":
            block.notes.append(f"{caller}: not available: {section.problem}")
        else:
            block.notes.append(f"{caller} filtered calls: not available ({section.problem})")
    if not rows:
        block.problem = "no variant statistics for any caller"
        return block
    block.plots.append(
        plots.grouped_bar_plot(
            [f"{row['caller']} {row['stage']}" for row in rows],
            {kind: [row[kind] for row in rows] for kind in ("snvs", "indels", "mnps", "others")},
            "variants",
            "variant counts by type",
        )
    )
    block.tables.append(Table(f"{report.sample}.variants", VARIANT_COLUMNS, rows))
    return block


def _accuracy_block(report: SampleReport, link: RawLinker) -> Block:
    """Precision, recall and F1 of each call set (PASS calls) against the truth set."""
    sections = list(report.accuracy_sections.values())
    block = _block("accuracy", "Calling accuracy against the truth set", sections, link)
    if not block.problem:
        rows = [
            {"call_set": call_set, **_typed(row)}
            for call_set, section in report.accuracy_sections.items()
            for row in section.value
            if row["type"] != "ALL"
        ]
        block.notes.append(
            "PASS calls against config accuracy.truth (varnode compare): allele = same"
            " position and alleles; haplotype_genotype = same diploid haplotype sequences;"
            " truth_unknown/query_unknown = variants left out where the truth is incomplete"
            " (a spanning-deletion allele without its deletion)."
        )
        block.tables.append(Table(f"{report.sample}.accuracy", list(rows[0]), rows))
    return block


def _per_caller_blocks(
    report: SampleReport, kind: str, title: str, sections: dict[str, Section], link: RawLinker
) -> list[Block]:
    blocks = []
    for caller, section in sections.items():
        block = _block(f"{kind}-{caller}", f"{title} ({caller})", [section], link)
        if not block.problem:
            rows = section.value
            columns = list(rows[0]) if rows else ["(no rows)"]
            block.tables.append(
                Table(
                    f"{report.sample}.{caller}.{kind}",
                    columns,
                    [_typed(row) for row in rows],
                    searchable=kind == "candidates",
                )
            )
        blocks.append(block)
    return blocks


def _typed(row: dict[str, str]) -> dict[str, Any]:
    """Raw TSV cells with numbers as numbers (so they sort and align as numbers); text
    that would change when reformatted stays text, so the page shows the raw value."""
    typed: dict[str, Any] = {}
    for column, text in row.items():
        try:
            number: Any = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = text
        typed[column] = number if str(number) == text or f"{number:.6g}" == text else text
    return typed


def sample_metrics_table(reports: list[SampleReport], highlight=frozenset()) -> Table:
    rows = [
        {
            **report.metrics,
            "qc_status": report.qc_status,
            "qc_reasons": "; ".join(report.qc_reasons),
        }
        for report in reports
    ]
    columns = (
        ["sample", "qc_status", "qc_reasons", *list(reports[0].metrics)[1:]] if reports else []
    )
    return Table(
        "sample_metrics",
        columns,
        rows,
        highlight=set(highlight),
        links={"sample": {r.sample: sample_page_name(r.sample) for r in reports}},
    )


def index_page(
    reports: list[SampleReport],
    thresholds: dict[str, dict[str, float]],
    extra_links: list[tuple[str, str | None]],
    raw_links: dict[str, list[tuple[str, str | None]]],
) -> Page:
    overview = Block("samples", "Samples and QC status")
    overview.notes.append(
        "Status is the worst over the thresholded metrics below; a metric whose input is "
        "missing counts as fail. Thresholds come from config report.qc_thresholds."
    )
    overview.tables.append(
        Table(
            "index_samples",
            ["sample", "qc_status", "qc_reasons", *INDEX_METRICS],
            sample_metrics_table(reports).rows,
            links={"sample": {r.sample: sample_page_name(r.sample) for r in reports}},
        )
    )
    threshold_block = Block("thresholds", "QC thresholds")
    threshold_block.tables.append(
        Table(
            "qc_thresholds",
            ["metric", "warn_below", "fail_below", "warn_above", "fail_above"],
            [{"metric": metric, **limits} for metric, limits in thresholds.items()],
        )
    )
    files = Block("files", "Pages and raw files")
    files.raw = list(extra_links)
    for sample, links in raw_links.items():
        files.raw.append((f"{sample} page", sample_page_name(sample)))
        files.raw.extend(links)
    return Page(
        "index.html", "varnode run overview", [overview, threshold_block, files], links=extra_links
    )


def cohort_page(
    reports: list[SampleReport],
    mad_limit: float,
    metric_outliers: set[tuple[str, str]],
    sample_qc: Section,
    sample_qc_outliers: set[tuple[str, str]],
    outlier_test: str | None,
    relatedness: Section,
    cohort_summary: Section,
    link: RawLinker,
) -> Page:
    blocks = []
    metrics_block = Block("sample-metrics", "Sequencing QC per sample")
    metrics_block.notes.append(
        f"Highlighted cells are outliers: more than {mad_limit:g} robust standard deviations "
        "(1.4826 x median absolute deviation) from the cohort median of their column."
    )
    metrics_block.tables.append(sample_metrics_table(reports, metric_outliers))
    blocks.append(metrics_block)

    qc_block = _block(
        "sample-qc", "Cohort sample QC (sex, heterozygosity, Ti/Tv)", [sample_qc], link
    )
    if outlier_test:
        qc_block.notes.append(f"Outlier test (flags outlier_*): {outlier_test}")
    if not qc_block.problem:
        rows = [_typed(row) for row in sample_qc.value]
        columns = list(rows[0]) if rows else ["(no rows)"]
        qc_block.tables.append(
            Table("cohort.sample_qc", columns, rows, highlight=sample_qc_outliers)
        )
    blocks.append(qc_block)

    related_block = _block("relatedness", "Relatedness", [relatedness], link)
    if relatedness.available and "skipped" in relatedness.value:
        related_block.notes.append(f"Skipped: {relatedness.value['skipped']}")
    elif not related_block.problem:
        matrix = relatedness.value
        related_block.notes.append(f"value shown: column {matrix['column']!r} of the raw table")
        related_block.plots.append(
            plots.heatmap_plot(matrix["samples"], matrix["matrix"], "relatedness matrix")
        )
        related_block.tables.append(
            Table(
                "cohort.relatedness_matrix",
                ["sample", *matrix["samples"]],
                [
                    {"sample": name, **dict(zip(matrix["samples"], row, strict=True))}
                    for name, row in zip(matrix["samples"], matrix["matrix"], strict=True)
                ],
            )
        )
    blocks.append(related_block)

    spectrum_block = _block("af-spectrum", "Allele-frequency spectrum", [cohort_summary], link)
    variants_block = _block("variants-per-sample", "Variants per sample", [cohort_summary], link)
    if cohort_summary.available:
        spectrum = cohort_summary.value["af_spectrum"]
        spectrum_block.notes.append(
            "Allele frequency = ALT allele copies / called allele copies in the cohort VCF; "
            "one count per ALT allele."
        )
        spectrum_block.plots.append(
            plots.grouped_bar_plot(
                [f"{row['af_from']:.2f}" for row in spectrum],
                {
                    "SNVs": [row["snvs"] for row in spectrum],
                    "indels": [row["indels"] for row in spectrum],
                },
                "ALT alleles",
                "allele-frequency spectrum",
            )
        )
        spectrum_block.tables.append(
            Table("cohort.af_spectrum", ["af_from", "af_to", "snvs", "indels"], spectrum)
        )
        per_sample = cohort_summary.value["variants_per_sample"]
        variants_block.plots.append(
            plots.grouped_bar_plot(
                [row["sample"] for row in per_sample],
                {
                    "het": [row["het"] for row in per_sample],
                    "hom_alt": [row["hom_alt"] for row in per_sample],
                },
                "variant sites",
                "variants per sample",
            )
        )
        variants_block.tables.append(
            Table(
                "cohort.variants_per_sample",
                ["sample", "variants", "het", "hom_alt", "snvs", "indels"],
                per_sample,
            )
        )
    blocks.extend([spectrum_block, variants_block])
    return Page("cohort.html", "Cohort", blocks)
