"""Reports: tool outputs parsed into tidy tables, plots, self-contained HTML pages.

Modules, each with one job:
- `parsers`: raw tool outputs (fastp, samtools, mosdepth, bcftools stats, TSVs) -> dicts/rows.
- `cohort_vcf`: allele-frequency spectrum and per-sample genotype counts of the cohort VCF.
- `tables`: per-sample metrics, QC status by configured thresholds, cohort outliers.
- `plots`: matplotlib figures rendered as inline SVG text.
- `pages`: Jinja2 templates (in `templates/`) -> HTML pages and the TSV/JSON beside them.
- `stale`: outputs of samples no longer in the sheet.
- `stamps`: fastp/MultiQC HTML reports without their run time (`varnode unstamp-report`).
- `command`: the `varnode report` CLI command.
"""
