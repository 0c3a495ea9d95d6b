"""Reports: tool outputs parsed into tidy tables, plots, self-contained HTML pages, run metadata.

Modules, each with one job:
- `parsers`: raw tool outputs (fastp, samtools, mosdepth, bcftools stats, TSVs) -> dicts/rows.
- `cohort_vcf`: allele-frequency spectrum and per-sample genotype counts of the cohort VCF.
- `tables`: per-sample metrics, QC status by configured thresholds, cohort outliers.
- `plots`: matplotlib figures rendered as inline SVG text.
- `pages`: Jinja2 templates (in `templates/`) -> HTML pages and the TSV/JSON beside them.
- `metadata`: run metadata (`run.json`): versions, hashes, times, host.
- `command` / `metadata`: the `varnode report` and `varnode run-metadata` CLI commands.
"""
