"""`varnode report`: the HTML report folder (index, one page per sample, cohort page), the
TSV/JSON behind every number, and copies of the raw inputs, from the files named by
--sources (path patterns by role). Missing or broken inputs become "not available" notes."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from varnode.common.atomic import write_text_atomic
from varnode.common.config import config_default, section_settings
from varnode.errors import VarnodeError
from varnode.report import builders, cohort_vcf, parsers, tables
from varnode.report.pages import Block, Table, copy_raw, link_in_results, write_json, write_page
from varnode.report.stale import stale_outputs
from varnode.report.tables import Section


def _json_argument(option: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise VarnodeError(f"{option}: not valid JSON ({error.msg})") from None


def load_run(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    if not path.is_file():
        return None, f"{path}: file not found"
    try:
        return json.loads(path.read_text()), None
    except json.JSONDecodeError as error:
        return None, f"{path}: not valid JSON (line {error.lineno}: {error.msg})"


def build(args: argparse.Namespace) -> list[Path]:
    settings = section_settings("--settings", args.settings, "report")
    results, out_dir = args.results, args.output_dir
    write_dir = args.staging or out_dir
    link = partial(copy_raw, results=results, out_dir=write_dir, report_dir=out_dir)
    sources = tables.check_sources(_json_argument("--sources", args.sources))
    sheet = tables.read_sheet(args.sample_sheet)
    reports = []
    for sample, (sample_units, terms) in sheet.items():
        report = tables.load_sample(sources, sample, sample_units, args.callers)
        report.hpo_terms = terms
        report.metrics = tables.sample_metrics(report, settings["coverage_thresholds"])
        report.qc_status, report.qc_reasons = tables.qc_status(
            report.metrics, settings["qc_thresholds"]
        )
        reports.append(report)
    term_names = _term_names(args.phenotype_index) if any(r.hpo_terms for r in reports) else {}

    run, run_problem = load_run(out_dir / "run.json")
    written = []
    sample_pages = [
        builders.sample_page(report, settings["coverage_thresholds"], link, term_names)
        for report in reports
    ]
    cohort = partial(tables.source, sources)
    sample_qc, relatedness, outlier_test, rule = load_cohort(cohort, args)
    cohort_summary = tables.load_file(
        partial(cohort_vcf.summarise_cohort_vcf, af_bins=settings["af_bins"]),
        cohort("cohort_vcf"),
    )
    cohort_page = builders.cohort_page(
        reports, rule, sample_qc, outlier_test, relatedness, cohort_summary, link
    )

    multiqc = out_dir / "multiqc" / "multiqc_report.html"
    summary = out_dir / "run_summary.html"
    extra_links = [
        ("MultiQC report", "multiqc/multiqc_report.html" if multiqc.is_file() else None),
        ("run summary (last run's end)", summary.name if summary.is_file() else None),
        ("run.json", "run.json" if run else None),
        # Written after the pages (it holds their checksums), so linked unconditionally.
        ("RO-Crate (inputs, outputs, jobs, checksums)", "../ro-crate-metadata.json"),
        ("tables (TSV/JSON)", "tables/sample_metrics.tsv"),
    ]
    raw_links = {
        page_report.sample: [
            raw for block in page.blocks for raw in block.raw if raw[1] is not None
        ]
        for page_report, page in zip(reports, sample_pages, strict=True)
    }
    files = {
        report.sample: builders.deliverables(
            partial(tables.source, sources), report.sample, args.callers, bool(report.hpo_terms)
        )
        for report in reports
    }
    index = builders.index_page(
        reports,
        settings["qc_thresholds"],
        extra_links,
        raw_links,
        builders.cohort_findings(sample_qc, relatedness),
        builders.deliverables_table(
            reports, files, partial(link_in_results, report_dir=out_dir), results
        ),
    )
    stale = _stale_block(results, out_dir, list(sheet))
    # First-screen news only when there is something stale; else a line at the end.
    index.blocks.insert(2 if stale.tables else len(index.blocks), stale)
    for page in [index, *sample_pages, cohort_page]:
        write_page(page, write_dir, run, run_problem)
        write_json(write_dir / "tables" / f"{Path(page.filename).stem}.json", page.tables())
        written.append(write_dir / page.filename)
    _write_metrics(builders.sample_metrics_table(reports), write_dir)
    return written


def load_cohort(
    cohort: Callable[[str], Path], args: argparse.Namespace
) -> tuple[Section, Section, str | None, tables.OutlierRule]:
    """The cohort stage's sample QC, relatedness summary, how its outlier test ran, and
    its outlier rule (from sample_qc.json when there, else the command's options);
    `cohort` gives each role's path."""
    sample_qc = tables.load_file(parsers.read_tsv, cohort("sample_qc"))
    qc_json = tables.load_file(parsers.read_json, cohort("sample_qc_outlier_test"))
    recorded = qc_json.value.get("thresholds", {}) if qc_json.available else {}
    rule = tables.OutlierRule(
        recorded.get("outlier_mads", args.outlier_mads),
        recorded.get("min_samples_for_outliers", args.min_samples_for_outliers),
    )
    relatedness_path = cohort("relatedness")
    skipped = parsers.skip_reason(relatedness_path)
    if skipped:
        relatedness = Section(value={"skipped": skipped}, sources=[relatedness_path])
    else:
        relatedness = tables.load_file(tables.relatedness_summary, relatedness_path)
    outlier_test = qc_json.value.get("outlier_test") if qc_json.available else None
    return sample_qc, relatedness, outlier_test, rule


def _term_names(index_path: Path | None) -> dict[str, str]:
    """HPO id -> term name, from the phenotype index (none given: ids are shown alone)."""
    if index_path is None:
        return {}
    from varnode.phenotype.index import PhenotypeIndex, term_id

    index = PhenotypeIndex.load(index_path)
    return {term_id(term): name for term, name in index.names.items()}


def _stale_block(results: Path, out_dir: Path, samples: list[str]) -> Block:
    """Outputs of samples no longer in the sheet: listed, and their pages moved to stale/
    so that no page of the report's folder shows an old sample as current."""
    block = Block("stale", "Stale outputs: samples no longer in the sample sheet")
    stale = stale_outputs(results, samples)
    for page in out_dir.glob("sample-*.html"):
        sample = page.name.removeprefix("sample-").removesuffix(".html")
        if sample not in samples:
            (out_dir / "stale").mkdir(exist_ok=True)
            page.replace(out_dir / "stale" / page.name)
    if not stale:
        block.notes.append("None: every sample with outputs under results/ is in the sheet.")
        return block
    block.notes.append(
        "These files are left from earlier runs and are not part of these results; their "
        "report pages were moved to stale/. Delete them, or put the samples back in the sheet."
    )
    rows = [{"sample": sample, "file": path} for sample, files in stale.items() for path in files]
    block.tables.append(Table("index_stale_outputs", ["sample", "file"], rows))
    return block


def _write_metrics(table: Table, out_dir: Path) -> None:
    write_text_atomic(out_dir / table.tsv_href, table.tsv())
    write_json(out_dir / "tables" / "sample_metrics.json", [table])


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        required=True,
        help="JSON: each input file's role -> its path pattern ({sample}, {unit}, {caller},"
        " {stage}, {call_set}); the pipeline passes its report rule's REPORT_SOURCES",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        help="the run's results folder: raw copies are labelled relative to it, and"
        " outputs of samples no longer in the sheet are looked for in it (default: results)",
    )
    parser.add_argument(
        "--sample-sheet",
        type=Path,
        required=True,
        help="sample sheet (its sample and unit columns list the pages)",
    )
    parser.add_argument("--callers", nargs="+", required=True, help="callers whose calls to report")
    parser.add_argument(
        "--settings",
        default=None,
        help="JSON of the config's report section (missing keys: schema defaults)",
    )
    parser.add_argument(
        "-o",
        "--output",
        "--output-dir",
        dest="output_dir",
        type=Path,
        default=Path("results/report"),
        help="report folder; run.json and multiqc/ are read from it if present",
    )
    parser.add_argument(
        "--phenotype-index",
        type=Path,
        default=None,
        help="phenotype index (varnode phenotype-index): HPO term names on the candidate tables",
    )
    parser.add_argument(
        "--outlier-mads",
        type=float,
        default=config_default("cohort", "qc", "outlier_mads"),
        help="cohort outlier rule when results/cohort/sample_qc.json does not record it"
        " (config cohort.qc.outlier_mads)",
    )
    parser.add_argument(
        "--min-samples-for-outliers",
        type=int,
        default=config_default("cohort", "qc", "min_samples_for_outliers"),
        help="the same rule's minimum cohort size (config cohort.qc.min_samples_for_outliers)",
    )
    parser.add_argument(
        "--staging",
        type=Path,
        default=None,
        help="write the pages, tables and raw copies here instead of --output-dir"
        " (the pipeline then checks and moves them there: varnode publish --staging)",
    )


def run(args: argparse.Namespace) -> int:
    for page in build(args):
        print(page)
    return 0
