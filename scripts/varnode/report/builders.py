"""Page builders: parsed sections -> blocks of tables and plots for the sample, cohort and
index pages. Every number shown is in a `Table`, which is also written as TSV."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from varnode.annotate.consequences import severity
from varnode.cohort.relatedness import DEGREES
from varnode.phenotype.prioritise import DAMAGING, RARE_FOR_COMPOUND
from varnode.report import display, plots
from varnode.report.pages import Block, Page, Table
from varnode.report.tables import OutlierRule, SampleReport, Section, outliers

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
    "counted",
]
INDEX_METRICS = [
    "reads_before_trimming",
    "q30_rate",
    "mapping_rate",
    "duplicate_rate",
    "mean_depth",
    "breadth_10x",
]
# Candidate table: what a reader scans (the rest, and every row, is in the TSV).
CANDIDATE_COLUMNS = [
    "rank",
    "score",
    "gene",
    "protein_change",
    "consequence",
    "population_af",
    "zygosity",
    "clinvar_significance",
    "variant",
    "phenotype_match",
    "explanation",
]
# The explanation's phenotype part (varnode prioritise): the gene's closest HPO term.
CLOSEST_TERM = re.compile(r"closest: HP:\d+ .+? ~ (HP:\d+) (.+?) ([\d.]+)\)")
# HGVS protein notation, under whichever name the variant table gives it (preferred first).
PROTEIN_COLUMNS = ("hgvs_p", "protein_hgvs", "hgvsp", "protein_change")
CANDIDATE_ROWS = 200
# Per-sample bars while they stay readable; beyond, a histogram over samples.
BAR_SAMPLES = 40
# The index's first screen lists at most this many failed samples, flagged samples and
# related pairs each; the rest are a count with a link to their table.
ITEMS_PER_KIND = 20


def sample_page_name(sample: str) -> str:
    return f"sample-{sample}.html"


def _block(block_id: str, title: str, sections: list[Section], link: RawLinker) -> Block:
    """A block whose raw links are its sections' sources; unavailable if any section is."""
    problems = [section.problem for section in sections if not section.available]
    raw = [link(path) for section in sections for path in section.sources]
    return Block(block_id, title, problem="; ".join(problems) or None, raw=raw)


def metric_rows(metrics: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    return [{"metric": name, "value": metrics.get(name)} for name in names]


def _metric_labels(table_rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Readable name and unit of each metric/value row."""
    shown: dict[tuple[str, str], str] = {}
    for row in table_rows:
        spec = display.column(row["metric"])
        if spec:
            shown[(row["metric"], "metric")] = spec.label
        value = display.display(row["metric"], row["value"])
        if value is not None:
            shown[(row["metric"], "value")] = value
    return shown


def sample_page(
    report: SampleReport,
    coverage_thresholds: list[int],
    link: RawLinker,
    term_names: dict[str, str] | None = None,
) -> Page:
    sample, sections, metrics = report.sample, report.sections, report.metrics
    blocks = []

    summary = Block("summary", "Summary")
    rows = metric_rows(metrics, list(metrics)[1:])
    summary.tables.append(
        Table(
            f"{sample}.metrics",
            ["metric", "value"],
            rows,
            shown=_metric_labels(rows),
            collapsed=False,
            tiles=True,
        )
    )
    blocks.append(summary)
    blocks.extend(_candidate_blocks(report, link, term_names or {}))
    blocks.append(_variants_block(report, link))
    blocks.extend(
        _per_caller_blocks(report, "filters", "Filter counts", report.filter_sections, link)
    )

    reads = _block("reads", "Reads and trimming (fastp)", [sections["fastp"]], link)
    if not reads.problem:
        units = sections["fastp"].value
        curves = {
            (mate if len(units) == 1 else f"{unit} {mate}"): curve
            for unit, values in zip(report.units, units, strict=True)
            for mate, curve in values["quality_curves"].items()
        }
        if curves:
            reads.plots.append(plots.read_quality_plot(curves))
        rows = [{"unit": unit, **values} for unit, values in zip(report.units, units, strict=True)]
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
        mean, sd = metrics["insert_size_mean"], metrics["insert_size_sd"]
        insert.notes.append(
            f"mean {display.display('insert_size_mean', mean) or 'not available'}, "
            f"standard deviation {display.display('insert_size_sd', sd) or 'not available'}"
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
        coverage.plots.append(
            plots.coverage_plot(points, coverage_thresholds, metrics.get("mean_depth"))
        )
        coverage.tables.append(
            Table(
                f"{sample}.breadth",
                ["min_depth", "fraction_of_bases"],
                [
                    {"min_depth": t, "fraction_of_bases": metrics[f"breadth_{t}x"]}
                    for t in coverage_thresholds
                ],
                shown={
                    (str(t), "fraction_of_bases"): display.display(
                        f"breadth_{t}x", metrics[f"breadth_{t}x"]
                    )
                    or ""
                    for t in coverage_thresholds
                },
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
        contents=True,
    )


def _variants_block(report: SampleReport, link: RawLinker) -> Block:
    block = Block("variants", "Variant counts by type, raw and PASS (bcftools stats)")
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
    block.notes.append(
        "raw: every record the caller wrote; filtered: records of the soft-filtered VCF"
        " that pass every filter (FILTER = PASS) when `counted` is PASS."
    )
    kinds = {"SNVs": "snvs", "indels": "indels", "MNPs": "mnps", "other": "others"}
    block.plots.append(
        plots.grouped_bar_plot(
            list(kinds),
            {
                f"{row['caller']} {'PASS' if row['counted'] == 'PASS' else row['stage']}": [
                    row[key] for key in kinds.values()
                ]
                for row in rows
            },
            "variant records",
            "variant counts by type",
            "variant type",
            plots.paired_colors(len(rows) // 2) if len(rows) % 2 == 0 else None,
        )
    )
    block.tables.append(Table(f"{report.sample}.variants", VARIANT_COLUMNS, rows, collapsed=False))
    return block


def _candidate_blocks(
    report: SampleReport, link: RawLinker, term_names: dict[str, str]
) -> list[Block]:
    """Per caller: the ranked candidates, compact, each row's explanation one click away,
    a filter for rare and damaging variants; "not requested" when the sheet gives the
    sample no HPO terms (prioritisation then does not run)."""
    if not report.hpo_terms:
        return [
            Block(
                f"candidates-{caller}",
                f"Candidate variants ({caller})",
                not_requested="the sample sheet gives this sample no HPO terms (column hpo),"
                " so its variants were not prioritised.",
            )
            for caller in report.candidate_sections
        ]
    named = "; ".join(_term_name(term, term_names) for term in report.hpo_terms)
    blocks = []
    for caller, section in report.candidate_sections.items():
        block = _block(f"candidates-{caller}", f"Candidate variants ({caller})", [section], link)
        blocks.append(block)
        if block.problem:
            continue
        block.notes.append(f"Patient phenotype (sample sheet): {named}.")
        rows = [_candidate_row(row) for row in section.value]
        shown = rows[:CANDIDATE_ROWS]
        if len(rows) > len(shown):
            block.notes.append(
                f"Top {len(shown)} of {len(rows)} candidates by score; all of them: raw input."
            )
        table = Table(
            f"{report.sample}.{caller}.candidates",
            CANDIDATE_COLUMNS,
            shown,
            searchable=True,
            detail="explanation",
            collapsed=False,
            row_data=[
                {
                    "rare": str(row.pop("_rare")).lower(),
                    "damaging": str(row.pop("_damaging")).lower(),
                }
                for row in shown
            ],
        )
        block.notes.append(
            "Rare: population AF below 1 % or absent; damaging: missense or more severe. "
            "▸ opens a row's explanation of its score."
        )
        block.filters.append((table.html_id, "rare", "rare only"))
        block.filters.append((table.html_id, "damaging", "damaging only"))
        block.tables.append(table)
    return blocks


def _term_name(term: str, term_names: dict[str, str]) -> str:
    name = term_names.get(term)
    return f"{name} ({term})" if name else term


def _closest_term(explanation: str) -> str:
    match = CLOSEST_TERM.search(explanation)
    return f"{match[2]} ({match[1]}) {float(match[3]):.2f}" if match else ""


def _candidate_row(row: dict[str, str]) -> dict[str, Any]:
    typed = _typed(row)
    protein = next((row[c] for c in PROTEIN_COLUMNS if row.get(c)), "")
    frequency = typed.get("population_af")
    return {
        **{column: typed.get(column) for column in CANDIDATE_COLUMNS},
        "protein_change": protein,
        "variant": "{}:{} {}>{}".format(*(row.get(c, "") for c in ("chrom", "pos", "ref", "alt"))),
        "phenotype_match": _closest_term(row.get("explanation") or ""),
        "_rare": not isinstance(frequency, int | float) or frequency < RARE_FOR_COMPOUND,
        "_damaging": severity(row.get("consequence") or "") >= DAMAGING,
    }


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


@dataclass
class CohortFindings:
    """What the cohort stage found that the index page surfaces: sample-QC flags per
    sample, and the related pairs (each with its degree)."""

    sample_flags: dict[str, list[str]] = field(default_factory=dict)
    related_pairs: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def cohort_findings(sample_qc: Section, relatedness: Section) -> CohortFindings:
    findings = CohortFindings()
    if sample_qc.available:
        for row in sample_qc.value:
            flags = [f for f in (row.get("flags") or "").split(";") if f and f != "PASS"]
            if flags:
                findings.sample_flags[row["sample"]] = flags
    else:
        findings.problems.append(f"cohort sample QC not available ({sample_qc.problem})")
    if relatedness.available and "skipped" not in relatedness.value:
        findings.related_pairs = relatedness.value["related"]
    elif not relatedness.available:
        findings.problems.append(f"relatedness not available ({relatedness.problem})")
    return findings


Deliverable = tuple[str, str, Path]  # (column, label shown, path)


def deliverables(
    path: Callable[..., Path], sample: str, callers: list[str], prioritised: bool
) -> list[Deliverable]:
    """A sample's results a reader takes away; `path(role, **fields)` gives each file."""
    alignment = path("alignments", sample=sample)
    files = [("alignments", alignment.suffix[1:].upper(), alignment)]
    for caller in callers:
        files += [
            (f"{caller} calls", "VCF", path("calls", sample=sample, caller=caller)),
            (f"{caller} annotated", "VCF", path("annotated_vcf", sample=sample, caller=caller)),
            (f"{caller} variants", "TSV", path("variant_table", sample=sample, caller=caller)),
        ]
        if prioritised:
            candidates = path("candidates", sample=sample, caller=caller)
            files.append((f"{caller} candidates", "TSV", candidates))
    if len(callers) > 1:
        files.append(("consensus", "VCF", path("consensus", sample=sample, call_set="consensus")))
    return files


def deliverables_table(
    reports: list[SampleReport],
    files: dict[str, list[Deliverable]],
    href: Callable[[Path], str],
    results: Path,
) -> Table:
    columns = [
        "sample",
        *dict.fromkeys(column for sample_files in files.values() for column, _, _ in sample_files),
    ]
    rows, shown, links = [], {}, {}
    for report in reports:
        row: dict[str, Any] = {"sample": report.sample}
        for column, label, path in files[report.sample]:
            try:
                row[column] = path.relative_to(results).as_posix()
            except ValueError:
                row[column] = str(path)
            if path.is_file():
                shown[(report.sample, column)] = label
                links[(report.sample, column)] = href(path)
            else:
                shown[(report.sample, column)] = "missing"
        for column in columns:
            if column not in row:
                row[column] = None
                shown[(report.sample, column)] = "not requested"
        rows.append(row)
    return Table(
        "index_deliverables",
        columns,
        rows,
        shown=shown,
        cell_links=links,
        links={"sample": {r.sample: sample_page_name(r.sample) for r in reports}},
    )


def index_page(
    reports: list[SampleReport],
    thresholds: dict[str, dict[str, float]],
    extra_links: list[tuple[str, str | None]],
    raw_links: dict[str, list[tuple[str, str | None]]],
    findings: CohortFindings,
    deliverable_files: Table,
) -> Page:
    overview = Block("overview", "At a glance")
    statuses = [report.qc_status for report in reports]
    overview.counts = [(status, statuses.count(status)) for status in ("pass", "warn", "fail")]
    sample_items = []
    for report in sorted(reports, key=lambda r: r.qc_status != "fail"):
        if report.qc_status == "pass":
            continue
        failing = [r for r in report.qc_reasons if r.startswith(report.qc_status)]
        missing = [r for r in report.qc_reasons if "not available" in r]
        text = f"{report.sample}: " + (
            "QC inputs missing (the sample's run did not finish?): "
            if missing and len(missing) == len(report.qc_reasons)
            else ""
        )
        sample_items.append(
            (
                report.qc_status,
                text + "; ".join(r.partition(": ")[2] for r in failing),
                sample_page_name(report.sample),
            )
        )
    flag_items = [
        ("warn", f"{sample}: cohort sample QC flags {', '.join(flags)}", "cohort.html#sample-qc")
        for sample, flags in findings.sample_flags.items()
    ]
    pair_items = [
        (
            "info",
            f"{pair['sample_a']} and {pair['sample_b']}: {pair['flag']} "
            f"(kinship {pair['kinship']:.3f})",
            "cohort.html#relatedness",
        )
        for pair in findings.related_pairs
    ]
    for items, where in (
        (sample_items, "#samples"),
        (flag_items, "cohort.html#sample-qc"),
        (pair_items, "cohort.html#relatedness"),
    ):
        overview.items.extend(items[:ITEMS_PER_KIND])
        if len(items) > ITEMS_PER_KIND:
            overview.items.append(("info", f"… and {len(items) - ITEMS_PER_KIND} more", where))
    for problem in findings.problems:
        overview.items.append(("warn", problem, "cohort.html"))
    if not overview.items:
        overview.notes.append("Every sample passes QC and the cohort stage flagged nothing.")

    samples = Block("samples", "Samples and QC status")
    samples.notes.append(
        "Status is the worst verdict over the thresholded metrics (QC thresholds below); a"
        " metric whose input is missing counts as fail. Hover a column name for its meaning."
    )
    samples.tables.append(
        Table(
            "index_samples",
            ["sample", "qc_status", "qc_reasons", *INDEX_METRICS],
            sample_metrics_table(reports).rows,
            links={"sample": {r.sample: sample_page_name(r.sample) for r in reports}},
            collapsed=False,
        )
    )
    files = Block("deliverables", "Results per sample")
    files.notes.append(
        "Alignments, filtered calls (soft-filtered: see FILTER), annotated calls, and the"
        " variant and candidate tables; linked where they lie under results/."
    )
    files.tables.append(deliverable_files)

    threshold_block = Block("thresholds", "QC thresholds")
    rows = [{"metric": metric, **limits} for metric, limits in thresholds.items()]
    shown = {}
    for row in rows:
        spec = display.column(row["metric"])
        if spec:
            shown[(row["metric"], "metric")] = spec.label
        for key, limit in row.items():
            if key != "metric":
                shown[(row["metric"], key)] = display.display(row["metric"], limit) or ""
    threshold_block.tables.append(
        Table(
            "qc_thresholds",
            ["metric", "warn_below", "fail_below", "warn_above", "fail_above"],
            rows,
            shown=shown,
        )
    )
    raw = Block("files", "Pages and raw files")
    raw.raw_groups = [
        ("Run", list(extra_links)),
        *(
            (sample, [(f"{sample} page", sample_page_name(sample)), *links])
            for sample, links in raw_links.items()
        ),
    ]
    return Page(
        "index.html",
        "varnode run overview",
        [overview, samples, files, threshold_block, raw],
        links=extra_links,
    )


def cohort_page(
    reports: list[SampleReport],
    rule: OutlierRule,
    sample_qc: Section,
    outlier_test: str | None,
    relatedness: Section,
    cohort_summary: Section,
    link: RawLinker,
) -> Page:
    blocks = []
    metrics_block = Block("sample-metrics", "Sequencing QC per sample")
    metrics_block.notes.append(rule.describe(len(reports)))
    metric_rows = [report.metrics for report in reports]
    table = sample_metrics_table(reports, outliers(metric_rows, "sample", rule))
    # Rates, not the counts behind them, and no reasons (on the index page): a table that
    # fits the page. All columns: tables/sample_metrics.tsv.
    table.name = "cohort.sample_metrics"
    table.columns = [c for c in table.columns if c in COHORT_METRICS or c.startswith("breadth_")]
    metrics_block.tables.append(table)
    blocks.append(metrics_block)

    qc_block = _block(
        "sample-qc", "Cohort sample QC (sex, heterozygosity, Ti/Tv)", [sample_qc], link
    )
    if outlier_test:
        qc_block.notes.append(f"Outlier test (flags outlier_*): {outlier_test}")
    if not qc_block.problem:
        rows = [_typed(row) for row in sample_qc.value]
        for row in rows:
            flags = [f for f in str(row.get("flags") or "").split(";") if f and f != "PASS"]
            if flags:
                qc_block.items.append(("warn", f"{row['sample']}: {', '.join(flags)}", None))
        columns = [c for c in SAMPLE_QC_SHOWN if rows and c in rows[0]] or ["(no rows)"]
        qc_block.notes.append(
            "▸ opens a sample's sex evidence; every column: raw input (sample_qc.tsv)."
        )
        qc_block.tables.append(
            Table(
                "cohort.sample_qc",
                columns,
                rows,
                highlight=flagged_cells(rows),
                detail="sex_evidence" if "sex_evidence" in columns else None,
            )
        )
    blocks.append(qc_block)
    blocks.append(_relatedness_block(relatedness, link))

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
                "cohort allele frequency (bin start)",
            )
        )
        spectrum_block.tables.append(
            Table("cohort.af_spectrum", ["af_from", "af_to", "snvs", "indels"], spectrum)
        )
        per_sample = cohort_summary.value["variants_per_sample"]
        if len(per_sample) <= BAR_SAMPLES:
            plot = plots.grouped_bar_plot(
                [row["sample"] for row in per_sample],
                {
                    "het": [row["het"] for row in per_sample],
                    "hom_alt": [row["hom_alt"] for row in per_sample],
                },
                "variant sites",
                "variants per sample",
                "sample",
            )
        else:
            plot = plots.histogram_plot(
                [row["variants"] for row in per_sample],
                "variant sites carried by a sample",
                "samples",
                "variants per sample",
            )
        variants_block.plots.append(plot)
        variants_block.tables.append(
            Table(
                "cohort.variants_per_sample",
                ["sample", "variants", "het", "hom_alt", "snvs", "indels"],
                per_sample,
            )
        )
    blocks.extend([spectrum_block, variants_block])
    return Page("cohort.html", "Cohort", blocks, contents=True)


COHORT_METRICS = (
    "sample",
    "qc_status",
    "reads_before_trimming",
    "reads_kept_rate",
    "q30_rate",
    "mapping_rate",
    "properly_paired_rate",
    "error_rate",
    "insert_size_mean",
    "duplicate_rate",
    "mean_depth",
)
# The cohort sample-QC columns on the page (the raw table has a few more counts).
SAMPLE_QC_SHOWN = (
    "sample",
    "sheet_sex",
    "inferred_sex",
    "call_rate",
    "n_snv",
    "n_indel",
    "ti_tv",
    "n_het",
    "n_hom_alt",
    "het_hom_ratio",
    "x_het_fraction",
    "mean_depth_autosomes",
    "x_depth_ratio",
    "y_depth_ratio",
    "flags",
    "sex_evidence",
)
# Sample-QC flags (varnode sample-qc) -> the column whose cell they concern.
FLAG_COLUMNS = {
    "low_call_rate": "call_rate",
    "sex_mismatch": "inferred_sex",
    "sex_ambiguous": "inferred_sex",
}


def flagged_cells(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(sample, column) of each cell a sample-QC flag is about: outlier_<metric> marks
    <metric>; the cohort stage applied the outlier rule, the page does not redo it."""
    cells = set()
    for row in rows:
        for flag in str(row.get("flags") or "").split(";"):
            column = FLAG_COLUMNS.get(flag) or (
                flag.removeprefix("outlier_") if flag.startswith("outlier_") else None
            )
            if column:
                cells.add((str(row["sample"]), column))
    return cells


def _relatedness_block(relatedness: Section, link: RawLinker) -> Block:
    block = _block("relatedness", "Relatedness (KING-robust kinship)", [relatedness], link)
    block.tables_first = True
    if block.problem:
        return block
    summary = relatedness.value
    if "skipped" in summary:
        block.notes.append(f"Skipped: {summary['skipped']}")
        return block
    counts = dict(summary["counts"])
    insufficient = counts.get("insufficient_data", 0)
    block.notes.append(
        f"{summary['pairs']:,} sample pairs. Related pairs (kinship above KING's third-degree"
        " bound) are listed; a pair whose estimate rests on too few informative sites is"
        " insufficient_data: no kinship is shown for it and it is left out of the plots."
    )
    block.tables.append(
        Table(
            "cohort.relatedness_counts",
            ["flag", "pairs"],
            [{"flag": flag, "pairs": count} for flag, count in summary["counts"]],
            collapsed=False,
        )
    )
    columns = ["sample_a", "sample_b", "flag", "kinship", "n_sites"]
    if summary["related"]:
        block.tables.append(Table("cohort.related_pairs", columns, summary["related"]))
    else:
        block.notes.append("No related pairs among the pairs with enough informative sites.")
    if summary["insufficient"]:
        block.tables.append(
            Table(
                "cohort.insufficient_pairs",
                columns,
                summary["insufficient"],
                shown={
                    (pair["sample_a"], "kinship"): "insufficient data"
                    for pair in summary["insufficient"]
                },
            )
        )
    elif insufficient:
        block.notes.append(
            f"{insufficient:,} pairs are insufficient_data (too many to list: see the raw table)."
        )
    estimable = summary["enough_sites"] & ~np.isnan(summary["kinship"])
    if estimable.any():
        boundaries = [(bound, label) for bound, label in DEGREES]
        block.plots.append(plots.kinship_histogram(summary["kinship"][estimable], boundaries))
        block.plots.append(
            plots.kinship_scatter(summary["kinship"][estimable], summary["n_sites"][estimable])
        )
    else:
        block.notes.append("No pair has enough informative sites for a kinship estimate to plot.")
    return block
