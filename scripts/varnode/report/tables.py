"""Tidy tables behind the pages: per-sample sections and metrics, QC status, outliers.

Every input file comes from a path pattern given by role (`SOURCE_ROLES`; the report
rule's REPORT_SOURCES in workflow/rules/report.smk): the package knows no results layout.
Each section keeps either its parsed value or the reason it is not available, so one
absent or broken file costs one section, never the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from varnode.cohort.sample_qc import robust_z
from varnode.errors import VarnodeError
from varnode.report import display, parsers

QC_STATUSES = ("pass", "warn", "fail")
# Each input file's role -> the placeholders of its path pattern.
SOURCE_ROLES = {
    "fastp": {"sample", "unit"},
    "samtools_stats": {"sample"},
    "flagstat": {"sample"},
    "markdup": {"sample"},
    "mosdepth_summary": {"sample"},
    "mosdepth_dist": {"sample"},
    "variant_stats": {"sample", "caller", "stage"},
    "filter_stats": {"sample", "caller"},
    "candidates": {"sample", "caller"},
    "consensus": {"sample", "call_set"},
    "accuracy": {"sample", "call_set"},
    "sample_qc": set(),
    "sample_qc_outlier_test": set(),
    "relatedness": set(),
    "cohort_vcf": set(),
    # deliverables the index links to (not read)
    "alignments": {"sample"},
    "calls": {"sample", "caller"},
    "annotated_vcf": {"sample", "caller"},
    "variant_table": {"sample", "caller"},
}


@dataclass
class Section:
    """One part of a page: its data, or why it is missing, and the raw files it came from."""

    value: Any = None
    problem: str | None = None
    sources: list[Path] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.problem is None


def load_file(parser, path: Path) -> Section:
    """A section from one raw file."""
    value, problem = parsers.attempt(parser, path)
    return Section(value=value, problem=problem, sources=[path])


def load_files(parser, paths: list[Path]) -> Section:
    """A section whose value is the list of each file's parse (e.g. one per sequencing
    unit); any missing or broken file makes the whole section unavailable."""
    values = []
    for path in paths:
        value, problem = parsers.attempt(parser, path)
        if problem:
            return Section(problem=problem, sources=paths)
        values.append(value)
    return Section(value=values, sources=paths)


@dataclass
class SampleReport:
    sample: str
    units: list[str]
    sections: dict[str, Section]
    variant_sections: dict[tuple[str, str], Section]  # (caller, "raw"|"filtered")
    filter_sections: dict[str, Section]  # caller -> filter stats
    candidate_sections: dict[str, Section]  # caller -> candidates
    # call set (caller or consensus) -> accuracy against the truth (config accuracy)
    accuracy_sections: dict[str, Section] = field(default_factory=dict)
    consensus_section: Section | None = None  # decision counts, when a consensus was made
    metrics: dict[str, Any] = field(default_factory=dict)
    qc_status: str = "fail"
    qc_reasons: list[str] = field(default_factory=list)
    # HPO terms of the sheet: none means prioritisation was not requested
    hpo_terms: list[str] = field(default_factory=list)


def read_units(sample_sheet: Path) -> dict[str, list[str]]:
    """Sample -> its unit names, in sheet order (only the sample and unit columns are read)."""
    return {sample: units for sample, (units, _) in read_sheet(sample_sheet).items()}


def read_sheet(sample_sheet: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Sample -> (its unit names in sheet order, its HPO terms). Only the sample, unit and
    (optional) hpo columns are read; HPO terms are `;`-separated, as the sheet gives them."""
    samples: dict[str, tuple[list[str], list[str]]] = {}
    for number, row in enumerate(parsers.read_tsv(sample_sheet), start=2):
        if not row.get("sample") or not row.get("unit"):
            raise VarnodeError(f"{sample_sheet}: line {number}: empty sample or unit")
        units, terms = samples.setdefault(row["sample"], ([], []))
        units.append(row["unit"])
        for term in (row.get("hpo") or "").split(";"):
            if term.strip() and term.strip() not in terms:
                terms.append(term.strip())
    return samples


def check_sources(sources: dict[str, str]) -> dict[str, str]:
    """The path pattern of every role, each with exactly its role's placeholders."""
    import string

    problems = []
    for role in sorted(SOURCE_ROLES.keys() - sources.keys()):
        problems.append(f"{role}: missing")
    for role in sorted(sources.keys() - SOURCE_ROLES.keys()):
        problems.append(f"{role}: not a role the report reads")
    for role, pattern in sources.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
        if role in SOURCE_ROLES and fields != SOURCE_ROLES[role]:
            expected = ", ".join(sorted(SOURCE_ROLES[role])) or "none"
            problems.append(f"{role}: {pattern!r} must use the placeholders {expected}")
    if problems:
        raise VarnodeError("--sources: " + "; ".join(problems))
    return sources


def source(sources: dict[str, str], role: str, **fields: str) -> Path:
    return Path(sources[role].format(**fields))


def load_sample(
    sources: dict[str, str], sample: str, units: list[str], callers: list[str]
) -> SampleReport:
    path = partial(source, sources, sample=sample)
    sections = {
        "fastp": load_files(parsers.parse_fastp, [path("fastp", unit=unit) for unit in units]),
        "samtools_stats": load_file(parsers.parse_samtools_stats, path("samtools_stats")),
        "flagstat": load_file(parsers.parse_flagstat, path("flagstat")),
        "markdup": load_file(parsers.parse_markdup, path("markdup")),
        "mosdepth_summary": load_file(parsers.parse_mosdepth_summary, path("mosdepth_summary")),
        "mosdepth_dist": load_file(parsers.parse_mosdepth_dist, path("mosdepth_dist")),
    }
    variant_sections = {
        (caller, stage): load_file(
            parsers.parse_bcftools_stats, path("variant_stats", caller=caller, stage=suffix)
        )
        for caller in callers
        for stage, suffix in (("raw", ""), ("filtered", ".filtered"))
    }
    filter_sections = {
        caller: load_file(parsers.read_tsv, path("filter_stats", caller=caller))
        for caller in callers
    }
    candidate_sections = {
        caller: load_file(parsers.read_tsv, path("candidates", caller=caller)) for caller in callers
    }
    accuracy_sections = {
        call_set: load_file(parsers.read_tsv, table)
        for call_set in [*callers, "consensus"]
        if (table := path("accuracy", call_set=call_set)).is_file()
    }
    consensus = path("consensus", call_set="consensus")
    return SampleReport(
        sample,
        units,
        sections,
        variant_sections,
        filter_sections,
        candidate_sections,
        accuracy_sections,
        load_file(parsers.parse_consensus_vcf, consensus) if consensus.is_file() else None,
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def sample_metrics(report: SampleReport, coverage_thresholds: list[int]) -> dict[str, Any]:
    """One flat row of the sample's headline numbers; None where the input is missing."""
    metrics: dict[str, Any] = {"sample": report.sample}
    fastp = report.sections["fastp"]
    units = fastp.value if fastp.available else []
    totals = {
        key: sum(unit[key] for unit in units)
        for key in (
            "reads_before",
            "reads_after",
            "bases_after",
            "q30_bases_after",
            "adapter_trimmed_reads",
        )
    }
    metrics["reads_before_trimming"] = totals["reads_before"] if units else None
    metrics["reads_after_trimming"] = totals["reads_after"] if units else None
    metrics["reads_kept_rate"] = _ratio(totals["reads_after"], totals["reads_before"])
    metrics["q30_rate"] = _ratio(totals["q30_bases_after"], totals["bases_after"])
    metrics["adapter_trimmed_reads"] = totals["adapter_trimmed_reads"] if units else None

    stats = report.sections["samtools_stats"]
    summary = stats.value["summary"] if stats.available else {}
    total = summary.get("raw total sequences", 0)
    metrics["mapped_reads"] = int(summary["reads mapped"]) if stats.available else None
    metrics["mapping_rate"] = _ratio(summary.get("reads mapped", 0), total)
    metrics["properly_paired_rate"] = _ratio(summary.get("reads properly paired", 0), total)
    metrics["error_rate"] = summary.get("error rate")
    metrics["insert_size_mean"] = summary.get("insert size average")
    metrics["insert_size_sd"] = summary.get("insert size standard deviation")

    markdup = report.sections["markdup"]
    counters = markdup.value if markdup.available else {}
    metrics["duplicate_reads"] = counters.get("DUPLICATE PRIMARY TOTAL")
    metrics["duplicate_rate"] = _ratio(
        counters.get("DUPLICATE PRIMARY TOTAL", 0), counters.get("EXAMINED", 0)
    )

    summary_rows = report.sections["mosdepth_summary"]
    total_row = next((row for row in summary_rows.value or [] if row["chrom"] == "total"), None)
    metrics["mean_depth"] = total_row["mean"] if total_row else None
    dist = report.sections["mosdepth_dist"]
    for threshold in coverage_thresholds:
        metrics[f"breadth_{threshold}x"] = (
            breadth_at(dist.value, threshold) if dist.available else None
        )
    return metrics


def breadth_at(points: list[tuple[int, float]], depth: int) -> float:
    """Fraction of bases covered at >= depth, from mosdepth's cumulative distribution."""
    reached = [fraction for point_depth, fraction in points if point_depth >= depth]
    return max(reached) if reached else 0.0


def qc_status(
    metrics: dict[str, Any], thresholds: dict[str, dict[str, float]]
) -> tuple[str, list[str]]:
    """Worst status over the thresholded metrics, and a reason for each non-pass, led by
    its verdict: "fail: ..." or "warn: ...", fails first."""
    status, reasons = "pass", []
    for metric, limits in thresholds.items():
        if metric not in metrics:
            raise VarnodeError(
                f"report.qc_thresholds: unknown metric {metric!r} "
                f"(known: {', '.join(sorted(metrics))})"
            )
        value = metrics[metric]
        if value is None:
            verdict, reason = "fail", f"{metric} not available (input missing)"
        else:
            verdict, reason = _judge(metric, value, limits)
        if verdict != "pass":
            reasons.append(f"{verdict}: {reason}")
            if QC_STATUSES.index(verdict) > QC_STATUSES.index(status):
                status = verdict
    reasons.sort(key=lambda reason: not reason.startswith("fail"))
    return status, reasons


def _judge(metric: str, value: float, limits: dict[str, float]) -> tuple[str, str]:
    """(verdict, "metric value < limit" with the metric's readable label and unit)."""
    shown = display.metric_text(metric, value)
    for level in ("fail", "warn"):
        for side, sign in (("below", "<"), ("above", ">")):
            limit = limits.get(f"{level}_{side}")
            if limit is not None and (value < limit if side == "below" else value > limit):
                limit_text = display.display(metric, limit) or f"{limit:g}"
                return level, f"{shown} {sign} {limit_text} ({metric})"
    return "pass", ""


@dataclass(frozen=True)
class OutlierRule:
    """The cohort sample-QC outlier rule (config cohort.qc), used for every table of the
    cohort page: more than `mads` robust SDs (1.4826 x MAD) from the median, tested only
    in cohorts of at least `min_samples`."""

    mads: float
    min_samples: int

    def describe(self, samples: int) -> str:
        if samples < self.min_samples:
            return (
                f"Outliers are not marked: {samples} samples, the robust outlier test needs "
                f"{self.min_samples} (config cohort.qc.min_samples_for_outliers)."
            )
        return (
            f"Highlighted cells are outliers: more than {self.mads:g} robust standard deviations"
            " (1.4826 x median absolute deviation) from the cohort median of their column"
            " (config cohort.qc)."
        )


def outliers(rows: list[dict[str, Any]], key: str, rule: OutlierRule) -> set[tuple[str, str]]:
    """(row key, column) of numeric cells that the rule calls outliers; nothing in a
    cohort smaller than its minimum, or in a column without spread."""
    if len(rows) < rule.min_samples:
        return set()
    flagged = set()
    columns = {column for row in rows for column in row if column != key}
    for column in sorted(columns):
        values = np.array([_as_number(row.get(column)) for row in rows], dtype=float)
        if np.isnan(values).all():
            continue
        for row, z in zip(rows, robust_z(values), strict=True):
            if abs(z) > rule.mads:
                flagged.add((row[key], column))
    return flagged


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is a missing value


RELATED_DEGREES = ("duplicate", "first-degree", "second-degree", "third-degree")
# Pairs listed by name on the cohort page: related ones always, insufficient_data ones
# only while they are this few (in a large cohort they are a count, not a list).
LISTED_INSUFFICIENT = 50


def relatedness_summary(path: Path) -> dict[str, Any]:
    """The cohort's pairwise relatedness (varnode relatedness) for the page, read in one
    pass without keeping every pair: counts per flag, the related pairs, kinship and
    informative sites of every pair (numpy arrays, for the plots), and the pairs whose
    estimate rests on too few sites (`insufficient_data`: no kinship shown for them)."""
    text_lines = parsers.data_lines(path)
    header = next(text_lines, None)
    required = ("sample_a", "sample_b", "kinship", "n_sites", "flag")
    if header is None:
        raise VarnodeError(f"{path}: empty (expected a header line)")
    columns = header.split("\t")
    missing = [column for column in required if column not in columns]
    if missing:
        raise VarnodeError(f"{path}: not a relatedness table (no column {', '.join(missing)})")
    where = {column: columns.index(column) for column in required}
    counts: dict[str, int] = {}
    related, insufficient = [], []
    kinship, sites, enough = [], [], []
    for number, line in enumerate(text_lines, start=2):
        fields = line.split("\t")
        if len(fields) != len(columns):
            raise VarnodeError(
                f"{path}: line {number}: {len(fields)} fields, header has {len(columns)}"
            )
        flag = fields[where["flag"]]
        counts[flag] = counts.get(flag, 0) + 1
        value = _as_number(fields[where["kinship"]])
        n_sites = parsers.parse_integer(fields[where["n_sites"]], path, f"line {number} (n_sites)")
        pair = {
            "sample_a": fields[where["sample_a"]],
            "sample_b": fields[where["sample_b"]],
            "kinship": None if flag == "insufficient_data" else value,
            "n_sites": n_sites,
            "flag": flag,
        }
        kinship.append(np.nan if value is None else value)
        sites.append(n_sites)
        enough.append(flag != "insufficient_data")
        if flag in RELATED_DEGREES:
            related.append(pair)
        elif flag == "insufficient_data" and len(insufficient) < LISTED_INSUFFICIENT:
            insufficient.append(pair)
    related.sort(key=lambda pair: -(pair["kinship"] or 0))
    order = [*RELATED_DEGREES, "unrelated", "unknown", "insufficient_data"]
    listed = counts.get("insufficient_data", 0) <= LISTED_INSUFFICIENT
    return {
        "counts": sorted(counts.items(), key=lambda item: [*order, item[0]].index(item[0])),
        "pairs": len(kinship),
        "related": related,
        "insufficient": insufficient if listed else [],
        "kinship": np.array(kinship, dtype=float),
        "n_sites": np.array(sites, dtype=np.int64),
        "enough_sites": np.array(enough, dtype=bool),
    }
