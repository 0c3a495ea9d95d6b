"""`varnode multiqc-content`: varnode's own sections of the MultiQC report.

MultiQC shows what its modules parse; this writes, as MultiQC custom content, what only
varnode knows, the way nf-core pipelines feed theirs:

- `varnode_general_stats_mqc.yaml`: General Stats columns per sample: varnode's QC
  status, reads, duplicates (samtools markdup: MultiQC 1.35 does not find markdup's text
  report by itself) and the mean depth, with the same numbers as the varnode pages;
- `varnode_qc_status_mqc.yaml`: the status and each warn/fail reason;
- `cohort_sample_qc_mqc.yaml`, `cohort_relatedness_mqc.yaml`: the cohort tables;
- `coverage_per_contig_mqc.yaml`: mean depth per contig from mosdepth's summary (exact;
  MultiQC's own plot sums mosdepth's distribution, whose fractions are rounded to two
  decimals, and undercounts depth where coverage is uneven);
- `software_mqc_versions.yml`: every tool's version, varnode and Snakemake included;
- `methods_mqc.yaml`: a methods paragraph with versions, and the citations;
- `multiqc_run_config.yaml`: the MultiQC settings that depend on the run: each
  single-unit sample's per-unit rows (fastp's `<sample> <unit>`) named by the sample and
  a multi-unit sample's units grouped under it, so General Stats has one row per sample;
  reads counted in thousands or millions, whichever suits the run's largest sample (a
  demo's 9,898 reads are not "0.0M").
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from varnode import __version__
from varnode.common.atomic import write_text_atomic
from varnode.common.config import section_settings
from varnode.common.tables import RELATEDNESS, SAMPLE_QC
from varnode.common.versions import parse_tool_version
from varnode.errors import VarnodeError
from varnode.report import parsers, tables

# (tool, what it did, citation); tools the run did not use are left out.
METHODS = (
    ("fastp", "Reads were trimmed of adapters and low-quality bases with fastp",
     "Chen S, Zhou Y, Chen Y, Gu J. fastp: an ultra-fast all-in-one FASTQ preprocessor. "
     "Bioinformatics 34(17):i884-i890 (2018). doi:10.1093/bioinformatics/bty560"),
    ("bwa", "aligned to the reference with BWA-MEM",
     "Li H. Aligning sequence reads, clone sequences and assembly contigs with BWA-MEM. "
     "arXiv:1303.3997 (2013)"),
    ("samtools", "sorted, duplicate-marked and summarised with samtools",
     "Danecek P, et al. Twelve years of SAMtools and BCFtools. GigaScience 10(2):giab008 "
     "(2021). doi:10.1093/gigascience/giab008"),
    ("mosdepth", "depth was measured with mosdepth",
     "Pedersen BS, Quinlan AR. Mosdepth: quick coverage calculation for genomes and "
     "exomes. Bioinformatics 34(5):867-868 (2018). doi:10.1093/bioinformatics/btx699"),
    ("bcftools", "variants were called, normalised, annotated (bcftools csq) and "
     "genotyped jointly with bcftools",
     "Danecek P, McCarthy SA. BCFtools/csq: haplotype-aware variant consequences. "
     "Bioinformatics 33(13):2037-2039 (2017). doi:10.1093/bioinformatics/btx100"),
    ("freebayes", "and with freebayes",
     "Garrison E, Marth G. Haplotype-based variant detection from short-read sequencing. "
     "arXiv:1207.3907 (2012)"),
    ("gatk", "and with GATK HaplotypeCaller",
     "Poplin R, et al. Scaling accurate genetic variant discovery to tens of thousands of "
     "samples. bioRxiv 201178 (2018). doi:10.1101/201178"),
    ("multiqc", "QC was summarised with MultiQC",
     "Ewels P, Magnusson M, Lundin S, Käller M. MultiQC: summarize analysis results for "
     "multiple tools and samples in a single report. Bioinformatics 32(19):3047-3048 "
     "(2016). doi:10.1093/bioinformatics/btw354"),
    ("snakemake", "The workflow ran on Snakemake",
     "Mölder F, et al. Sustainable data analysis with Snakemake. F1000Research 10:33 "
     "(2021). doi:10.12688/f1000research.29032.2"),
)  # fmt: skip


# From this many reads in a sample on, MultiQC counts reads in millions.
MILLION = 1_000_000


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


def general_stats(reports: list[tables.SampleReport]) -> dict[str, Any]:
    data = {
        report.sample: {
            "qc_status": report.qc_status,
            "reads": report.metrics.get("reads_before_trimming"),
            "duplicates": _percent(report.metrics.get("duplicate_rate")),
            "mean_depth": report.metrics.get("mean_depth"),
        }
        for report in reports
    }
    return {
        "id": "varnode_general_stats",
        "plot_type": "generalstats",
        "headers": {
            "qc_status": {
                "title": "QC",
                "description": "varnode QC status (report.qc_thresholds): pass, warn or fail",
                "namespace": "varnode",
            },
            "reads": {
                "title": "Reads",
                "description": "read pairs' reads before trimming (fastp, all units)",
                "namespace": "varnode",
                "shared_key": "read_count",
                "format": "{:,.0f}",
            },
            "duplicates": {
                "title": "% Dups",
                "description": "duplicate primary reads among those examined (samtools markdup)",
                "namespace": "varnode",
                "suffix": "%",
                "max": 100,
                "min": 0,
                "scale": "RdYlGn-rev",
            },
            "mean_depth": {
                "title": "Mean depth",
                "description": "mean depth over the reference or targets (mosdepth summary)",
                "namespace": "varnode",
                "suffix": "x",
                "format": "{:,.1f}",
            },
        },
        "data": data,
    }


def qc_status_table(reports: list[tables.SampleReport]) -> dict[str, Any]:
    return {
        "id": "varnode_qc_status",
        "section_name": "varnode QC status",
        "description": "Each sample's status against the configured thresholds "
        "(report.qc_thresholds) and every reason it is not a pass; the varnode pages "
        "(../index.html) show the same.",
        "plot_type": "table",
        "pconfig": {"id": "varnode_qc_status_table", "title": "varnode: QC status"},
        "data": {
            report.sample: {
                "status": report.qc_status,
                "reasons": "; ".join(report.qc_reasons) or "none",
            }
            for report in reports
        },
    }


def _table_section(path: Path, schema, key_columns: list[str], section: dict) -> dict:
    """A cohort table read with its schema (typed values) as a MultiQC table, one row per
    key; a missing, broken or skipped table is said instead. Pair keys are joined with
    ' vs ': MultiQC would read a '/' as a folder and keep only the second name."""
    reason = parsers.skip_reason(path) if path.is_file() else f"{path}: file not found"
    if not reason:
        try:
            frame = schema.read(path)
        except VarnodeError as error:
            reason = str(error)
    if reason:
        return {**section, "plot_type": "html", "data": f"<p>Not available: {reason}</p>"}
    data = {}
    for row in frame.astype(object).to_dict("records"):
        key = " vs ".join(str(row[column]) for column in key_columns)
        data[key] = {
            column: None if pd.isna(value) else value
            for column, value in row.items()
            if column not in key_columns
        }
    return {**section, "plot_type": "table", "data": data}


def coverage_per_contig(reports: list[tables.SampleReport]) -> dict[str, Any]:
    data = {}
    for report in reports:
        summary = report.sections["mosdepth_summary"]
        rows = summary.value if summary.available else []
        data[report.sample] = {
            row["chrom"]: row["mean"]
            for row in rows
            if row["chrom"] != "total" and not row["chrom"].endswith("_region")
        }
    return {
        "id": "varnode_coverage_per_contig",
        "section_name": "Mean depth per contig",
        "description": "Mean depth of each contig from mosdepth's summary (bases / length). "
        "It replaces MultiQC's per-contig plot, which sums mosdepth's distribution file "
        "whose fractions are rounded to two decimals.",
        "plot_type": "bargraph",
        "pconfig": {
            "id": "varnode_coverage_per_contig_plot",
            "title": "Mean depth per contig",
            "ylab": "mean depth (x)",
            "cpswitch": False,
            "stacking": "group",
        },
        "data": data,
    }


def software_versions(version_files: list[Path], snakemake: str | None) -> dict[str, str]:
    versions = {}
    for path in sorted(version_files):
        if not path.is_file():
            raise VarnodeError(f"{path}: file not found")
        versions[path.stem] = parse_tool_version(path.stem, path.read_text(errors="replace"))
    versions["varnode"] = __version__
    if snakemake:
        versions["snakemake"] = snakemake
    return versions


def methods(versions: dict[str, str]) -> dict[str, Any]:
    used = [(tool, text, cite) for tool, text, cite in METHODS if tool in versions]
    sentence = ", ".join(f"{text} (v{versions[tool]})" for tool, text, _ in used)
    citations = "".join(f"<li>{cite}</li>" for _, _, cite in used)
    html = (
        f"<p>{sentence}. Samples were analysed with varnode v{versions['varnode']}; "
        "its QC thresholds, filters and settings are in run.json and the run's "
        "RO-Crate (ro-crate-metadata.json).</p>"
        f"<h4>Citations</h4><ul>{citations}</ul>"
    )
    return {
        "id": "varnode_methods",
        "section_name": "Methods and citations",
        "description": "What ran, with which versions, and what to cite.",
        "plot_type": "html",
        "data": html,
    }


def run_config(units: dict[str, list[str]], reads: list[int | None]) -> dict[str, Any]:
    """MultiQC settings for this run: one General Stats row per sample (a single-unit
    sample's per-unit name, fastp's report title `<sample> <unit>`, becomes the sample's;
    a sample with several units gets one row with its units grouped under it), and the
    read-count unit that suits the run's largest sample."""
    config: dict[str, Any] = {
        "sample_names_replace_exact": True,
        "sample_names_replace": {
            f"{sample} {names[0]}": sample for sample, names in units.items() if len(names) == 1
        },
    }
    shared = sorted({unit for names in units.values() if len(names) > 1 for unit in names})
    if shared:
        config["table_sample_merge"] = {unit: f" {unit}" for unit in shared}
    most = max((count for count in reads if count is not None), default=0)
    multiplier, prefix, words = (
        (0.000001, "M", "millions") if most >= MILLION else (0.001, "K", "thousands")
    )
    config |= {
        "read_count_multiplier": multiplier,
        "read_count_prefix": prefix,
        "read_count_desc": words,
    }
    return config


def write_content(args: argparse.Namespace) -> list[Path]:
    settings = section_settings("--settings", args.settings, "report")
    try:
        sources = tables.check_sources(json.loads(args.sources))
    except json.JSONDecodeError as error:
        raise VarnodeError(f"--sources: not valid JSON ({error.msg})") from None
    units = tables.read_units(args.sample_sheet)
    reports = []
    for sample, sample_units in units.items():
        report = tables.load_sample(sources, sample, sample_units, args.callers)
        report.metrics = tables.sample_metrics(report, settings["coverage_thresholds"])
        report.qc_status, report.qc_reasons = tables.qc_status(
            report.metrics, settings["qc_thresholds"]
        )
        reports.append(report)
    versions = software_versions(args.versions, args.snakemake_version)
    contents: dict[str, Any] = {
        "varnode_general_stats_mqc.yaml": general_stats(reports),
        "varnode_qc_status_mqc.yaml": qc_status_table(reports),
        "cohort_sample_qc_mqc.yaml": _table_section(
            tables.source(sources, "sample_qc"),
            SAMPLE_QC,
            ["sample"],
            {
                "id": "varnode_sample_qc",
                "section_name": "Cohort sample QC",
                "description": "Per-sample QC of the joint genotypes "
                "(results/cohort/sample_qc.tsv, documented in docs/outputs.md).",
            },
        ),
        "cohort_relatedness_mqc.yaml": _table_section(
            tables.source(sources, "relatedness"),
            RELATEDNESS,
            ["sample_a", "sample_b"],
            {
                "id": "varnode_relatedness",
                "section_name": "Cohort relatedness",
                "description": "KING-robust kinship of each pair; pairs flagged "
                "insufficient_data rest on too few sites to trust the estimate.",
            },
        ),
        "coverage_per_contig_mqc.yaml": coverage_per_contig(reports),
        "software_mqc_versions.yml": versions,
        "methods_mqc.yaml": methods(versions),
        "multiqc_run_config.yaml": run_config(
            units, [report.metrics.get("reads_before_trimming") for report in reports]
        ),
    }
    written = []
    for name, content in contents.items():
        path = args.output / name
        write_text_atomic(path, yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
        written.append(path)
    return written


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources",
        required=True,
        help="JSON: the path pattern of each file the report reads, by role (as `varnode "
        "report --sources`)",
    )
    parser.add_argument("--sample-sheet", type=Path, required=True, help="sample sheet")
    parser.add_argument("--callers", nargs="+", required=True, help="callers of the run")
    parser.add_argument("--settings", help="JSON of the config's report section")
    parser.add_argument(
        "--versions", type=Path, nargs="+", required=True, help="tool version files"
    )
    parser.add_argument("--snakemake-version", help="Snakemake's version, for the methods")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder to write")


def run(args: argparse.Namespace) -> int:
    for path in write_content(args):
        print(path)
    return 0
