"""`varnode report --sources` for a results folder laid out as the pipeline lays it out."""

from __future__ import annotations

import json
from pathlib import Path

# The report rule's file patterns (workflow/rules/report.smk REPORT_SOURCES), under `results`.
SOURCES = {
    "fastp": "qc/fastp/{sample}.{unit}.fastp.json",
    "samtools_stats": "qc/samtools_stats/{sample}.txt",
    "flagstat": "qc/samtools_flagstat/{sample}.txt",
    "markdup": "qc/markdup/{sample}.markdup.txt",
    "mosdepth_summary": "qc/mosdepth/{sample}.mosdepth.summary.txt",
    "mosdepth_dist": "qc/mosdepth/{sample}.mosdepth.global.dist.txt",
    "variant_stats": "qc/bcftools_stats/{sample}.{caller}{stage}.txt",
    "filter_stats": "calls/{sample}.{caller}.filter_stats.tsv",
    "candidates": "prioritised/{sample}.{caller}.candidates.tsv",
    "consensus": "calls/{sample}.{call_set}.vcf.gz",
    "accuracy": "accuracy/{sample}.{call_set}.accuracy.tsv",
    "sample_qc": "cohort/sample_qc.tsv",
    "sample_qc_outlier_test": "cohort/sample_qc.json",
    "relatedness": "cohort/relatedness.tsv",
    "cohort_vcf": "cohort/cohort.vcf.gz",
    "alignments": "aligned/{sample}.bam",
    "calls": "calls/{sample}.{caller}.filtered.vcf.gz",
    "annotated_vcf": "annotated/{sample}.{caller}.vcf.gz",
    "variant_table": "annotated/{sample}.{caller}.variants.tsv",
}


def sources(results: Path) -> str:
    return json.dumps({role: f"{results}/{pattern}" for role, pattern in SOURCES.items()})
