"""How numbers read on a page: a label, a unit and a definition per column, and the
formatters that turn a raw value into text with its unit (the TSV keeps the raw value).

A column not listed here is shown under its own name with the raw text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIMES = "\u00d7"  # the depth unit, a multiplication sign (32.6x with a real times)


@dataclass(frozen=True)
class Column:
    label: str
    unit: str  # one of FORMATTERS
    definition: str
    prose: str = ""  # the name in a sentence, when the label is too terse for one

    @property
    def name(self) -> str:
        return self.prose or self.label


def _reads(value: float) -> str:
    """Read counts in thousands (K) or millions (M), three significant figures."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}"
    return f"{value:.0f}"


def _percent(value: float) -> str:
    """A fraction as a percentage; two decimals near 0 and 100 % where one would round
    a real difference away (99.96 % is not 100.0 %)."""
    percent = 100 * value
    decimals = 2 if 0 < percent < 1 or 99 < percent < 100 else 1
    return f"{percent:.{decimals}f} %"


FORMATTERS = {
    "reads": _reads,
    "count": lambda value: f"{value:,.0f}",
    "percent": _percent,
    "depth": lambda value: f"{value:.1f}{TIMES}",
    "bp": lambda value: f"{value:,.0f} bp",
    "ratio": lambda value: f"{value:.2f}",
    "score": lambda value: f"{value:.3f}",
    "af": lambda value: f"{value:.2g}" if value else "0",
}

COLUMNS = {
    "sample": Column("Sample", "text", "sample name in the sample sheet"),
    "qc_status": Column(
        "QC", "text", "worst verdict over the thresholded metrics (report.qc_thresholds)"
    ),
    "qc_reasons": Column("Why", "text", "each metric outside its warn or fail limit"),
    "reads_before_trimming": Column(
        "Reads", "reads", "reads in the FASTQ files before trimming, summed over units (fastp)"
    ),
    "reads_after_trimming": Column("Reads kept", "reads", "reads passing fastp's filters"),
    "reads_kept_rate": Column("Kept", "percent", "reads passing fastp / reads in the FASTQs"),
    "q30_rate": Column("≥Q30", "percent", "bases with quality ≥ 30 after trimming (fastp)"),
    "adapter_trimmed_reads": Column(
        "Adapter-trimmed", "reads", "reads with adapter sequence trimmed (fastp)"
    ),
    "mapped_reads": Column("Mapped reads", "reads", "primary reads mapped (samtools stats)"),
    "mapping_rate": Column("Mapped", "percent", "mapped / primary reads (samtools stats)"),
    "properly_paired_rate": Column(
        "Properly paired", "percent", "reads mapped in proper pairs / primary reads"
    ),
    "error_rate": Column(
        "Error rate", "percent", "mismatches / mapped bases (samtools stats error rate)"
    ),
    "insert_size_mean": Column("Insert size", "bp", "mean insert size (samtools stats)"),
    "insert_size_sd": Column("Insert size SD", "bp", "insert size standard deviation"),
    "duplicate_reads": Column(
        "Duplicate reads", "reads", "primary reads marked duplicate (samtools markdup)"
    ),
    "duplicate_rate": Column(
        "Duplicates", "percent", "duplicate primary reads / reads examined (samtools markdup)"
    ),
    "mean_depth": Column(
        "Mean depth", "depth", "mean read depth over the reference (mosdepth, total row)"
    ),
    # cohort sample QC (varnode sample-qc)
    "sheet_sex": Column("Sheet sex", "text", "sex given in the sample sheet"),
    "inferred_sex": Column("Inferred sex", "text", "sex inferred from X heterozygosity and depth"),
    "n_snv": Column("SNVs", "count", "SNV calls of the sample in the cohort VCF"),
    "n_indel": Column("Indels", "count", "indel calls of the sample in the cohort VCF"),
    "n_het": Column("Het", "count", "heterozygous calls"),
    "n_hom_alt": Column("Hom-alt", "count", "homozygous ALT calls"),
    "flags": Column("Flags", "text", "sample-QC flags (PASS: none)"),
    "call_rate": Column("Call rate", "percent", "autosomal cohort sites with a call"),
    "ti_tv": Column("Ti/Tv", "ratio", "transitions / transversions of the sample's SNVs"),
    "het_hom_ratio": Column("Het/hom", "ratio", "heterozygous / homozygous-ALT calls"),
    "x_het_fraction": Column("X het", "percent", "heterozygous share of X calls (non-PAR)"),
    "mean_depth_autosomes": Column("Depth (auto)", "depth", "mean FORMAT/DP of autosomal calls"),
    "x_depth_ratio": Column("X/auto depth", "ratio", "mean depth on X / on autosomes"),
    "y_depth_ratio": Column("Y/auto depth", "ratio", "mean depth on Y / on autosomes"),
    # relatedness (varnode relatedness)
    "kinship": Column("Kinship", "score", "KING-robust kinship: 0.5 duplicate, 0.25 first degree"),
    "n_sites": Column("Sites", "count", "informative sites the pair's estimate rests on"),
    # candidates (varnode prioritise)
    "score": Column("Score", "score", "combined score: phenotype match and variant evidence"),
    "phenotype_score": Column("Phenotype", "score", "gene-to-patient phenotype similarity"),
    "variant_score": Column("Variant", "score", "weighted consequence, rarity, ClinVar, zygosity"),
    "population_af": Column("Pop. AF", "af", "allele frequency in the population data"),
    "rank": Column("Rank", "text", "rank by score (1 = best)"),
    "gene": Column("Gene", "text", "gene of the most severe consequence (bcftools csq)"),
    "protein_change": Column("Protein", "text", "protein change (HGVS p. notation)"),
    "consequence": Column("Consequence", "text", "most severe consequence (bcftools csq)"),
    "zygosity": Column("Zygosity", "text", "the sample's genotype class"),
    "clinvar_significance": Column("ClinVar", "text", "ClinVar clinical significance"),
    "variant": Column("Variant", "text", "chromosome:position REF>ALT"),
    "phenotype_match": Column(
        "Phenotype match",
        "text",
        "the gene's HPO term closest to the patient's terms, and its Lin similarity",
    ),
}


def breadth_column(depth: int) -> Column:
    return Column(
        f"≥{depth}{TIMES}",
        "percent",
        f"reference bases covered by at least {depth} reads",
        f"Bases covered ≥{depth}{TIMES}",
    )


def column(name: str) -> Column | None:
    if name.startswith("breadth_") and name.endswith("x") and name[8:-1].isdigit():
        return breadth_column(int(name[8:-1]))
    return COLUMNS.get(name)


def display(name: str, value: Any) -> str | None:
    """The value of column `name` as a reader sees it, or None to show the raw text."""
    spec = column(name)
    if spec is None or spec.unit not in FORMATTERS or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    return FORMATTERS[spec.unit](number)


def metric_text(name: str, value: Any) -> str:
    """`label value` for prose (QC reasons), falling back to the raw name and value."""
    spec = column(name)
    shown = display(name, value)
    return f"{spec.name if spec else name} {shown if shown is not None else value}"
