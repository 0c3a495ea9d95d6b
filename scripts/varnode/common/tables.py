"""One schema per output table: its columns, their pandas dtypes, units and meaning.

The writers build their tables through these schemas (explicit dtypes, so a column never
changes type with its content: an all-empty ClinVar column is still text), the round-trip
test reads every table back with them, and docs/outputs.md renders them
(`python -m varnode.common.tables` prints the column reference; a unit test checks the
docs hold it).

Conventions of every TSV: tab-separated, UTF-8, one header line naming the columns
(except `members.tsv`, the headerless file bcftools reads with -S), and a missing value
is an empty field — never NA, ".", or null. Numbers are written with a fixed number of
significant digits per column, so reruns give the same bytes.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from varnode.common.atomic import write_text_atomic
from varnode.errors import VarnodeError

TEXT, INTEGER, DECIMAL = "string", "Int64", "Float64"
# How each pandas dtype is named in the docs.
TYPE_NAMES = {TEXT: "text", INTEGER: "integer", DECIMAL: "decimal"}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # TEXT, INTEGER or DECIMAL (pandas nullable dtypes)
    description: str
    unit: str = ""
    number_format: str = ".6g"  # DECIMAL columns: format spec of the written text


@dataclass(frozen=True)
class TableSchema:
    name: str
    path: str  # where the pipeline writes it, relative to the run folder
    description: str
    columns: tuple[Column, ...]
    header: bool = True

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return {column.name: column.dtype for column in self.columns}

    def frame(self, rows: Iterable[Mapping[str, Any]]):
        """The rows as a DataFrame with exactly the schema's columns and dtypes; a value
        of None, '' or NaN is missing. Unknown keys in a row are ignored."""
        import pandas as pd

        records = list(rows)
        data = {
            column.name: pd.array(
                [_typed(row.get(column.name), column) for row in records], dtype=column.dtype
            )
            for column in self.columns
        }
        return pd.DataFrame(data, columns=self.names)

    def to_tsv(self, frame) -> str:
        """The frame as this table's TSV text (missing values as empty fields)."""
        missing = [name for name in self.names if name not in frame.columns]
        if missing:
            raise VarnodeError(f"{self.name}: columns missing: {', '.join(missing)}")
        text = {column.name: _texts(frame[column.name], column) for column in self.columns}
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        if self.header:
            writer.writerow(self.names)
        writer.writerows(zip(*text.values(), strict=True))
        return buffer.getvalue()

    def write(self, rows_or_frame, path: str | Path) -> int:
        """Write rows (or a frame) as this table, atomically; returns the row count."""
        frame = rows_or_frame if hasattr(rows_or_frame, "columns") else self.frame(rows_or_frame)
        write_text_atomic(path, self.to_tsv(frame))
        return len(frame)

    def read(self, path: str | Path):
        """Read the table back with its documented dtypes; a header that differs from the
        schema's is an error naming the file. Leading `##` lines (a note such as
        relatedness.tsv's `## skipped: ...`) are skipped."""
        import pandas as pd

        notes = _leading_notes(path)
        options = dict(
            sep="\t",
            dtype=self.dtypes,
            keep_default_na=False,
            na_values={name: [""] for name in self.names},
            skiprows=notes,
        )
        try:
            if self.header:
                frame = pd.read_csv(path, **options)
            else:
                frame = pd.read_csv(path, header=None, names=self.names, **options)
        except (ValueError, pd.errors.ParserError) as error:
            raise VarnodeError(f"{path}: not a valid {self.name} table ({error})") from None
        if list(frame.columns) != self.names:
            raise VarnodeError(
                f"{path}: columns {', '.join(map(str, frame.columns))} are not those of "
                f"{self.name} ({', '.join(self.names)})"
            )
        return frame

    def arrow_schema(self):
        """The table's Arrow schema, for Parquet."""
        import pyarrow as pa

        arrow = {TEXT: pa.string(), INTEGER: pa.int64(), DECIMAL: pa.float64()}
        return pa.schema([pa.field(c.name, arrow[c.dtype], nullable=True) for c in self.columns])

    def markdown(self) -> str:
        """The column reference of this table, as docs/outputs.md holds it."""
        lines = [
            f"### `{self.path}`",
            "",
            self.description + ("" if self.header else " No header line."),
            "",
            "| column | type | unit | meaning |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{c.name}` | {TYPE_NAMES[c.dtype]} | {c.unit} | {c.description} |"
            for c in self.columns
        ]
        return "\n".join(lines) + "\n"


def _leading_notes(path: str | Path) -> int:
    """How many lines at the top of the file are `##` notes."""
    count = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("##"):
                break
            count += 1
    return count


def _typed(value: Any, column: Column) -> Any:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if column.dtype == INTEGER:
        return int(value)
    if column.dtype == DECIMAL:
        return float(value)
    return str(value)


def _texts(series, column: Column) -> list[str]:
    import pandas as pd

    def text(value) -> str:
        if pd.isna(value):
            return ""
        if column.dtype == DECIMAL:
            return format(float(value), column.number_format)
        if column.dtype == INTEGER:
            return str(int(value))
        return str(value)

    return [text(value) for value in series.astype(object)]


# --- the tables -------------------------------------------------------------------------

_SAMPLE = Column("sample", TEXT, "sample name, as in the sample sheet")
_CHROM = Column("chrom", TEXT, "contig of the reference")
_POS = Column("pos", INTEGER, "position of the first REF base, 1-based", "bp")
_REF = Column("ref", TEXT, "reference allele (normalised, left-aligned)")
_ALT = Column("alt", TEXT, "alternate allele: one row per ALT")
_GENOTYPE = Column("genotype", TEXT, "genotype as allele indexes, e.g. 0/1, 1|1, ./.")
_ZYGOSITY = Column(
    "zygosity", TEXT, "heterozygous, homozygous, hemizygous, absent or missing for this ALT"
)
_GENE = Column("gene", TEXT, "gene of the most severe consequence (bcftools csq)")
_CONSEQUENCE = Column(
    "consequence", TEXT, "most severe consequence type, e.g. missense, frameshift&splice_region"
)
_PROTEIN = Column(
    "protein_change",
    TEXT,
    "HGVS protein change on that transcript, e.g. p.Trp320Arg, p.Gln63ArgfsTer5, p.Ala125=",
)
_ID = Column("id", TEXT, "known-variant IDs (dbSNP rs numbers), ';'-separated")
_POP_AF = Column("population_af", DECIMAL, "allele frequency in the population resource", "")
_CLNSIG = Column("clinvar_significance", TEXT, "ClinVar clinical significance (CLNSIG)")

VARIANTS = TableSchema(
    "variants",
    "results/annotated/{sample}.{caller}.variants.tsv",
    "One row per variant allele of a sample's annotated calls (every record of the "
    "annotated VCF, PASS or not).",
    (
        _SAMPLE,
        Column("caller", TEXT, "variant caller of the call set (bcftools, freebayes, gatk)"),
        _CHROM,
        _POS,
        _REF,
        _ALT,
        Column("qual", DECIMAL, "QUAL of the record", "Phred"),
        Column("filter", TEXT, "PASS, or the ';'-separated filters the record failed"),
        _GENOTYPE,
        _ZYGOSITY,
        Column("dp", INTEGER, "read depth at the site in this sample (FORMAT/DP)", "reads"),
        Column("gq", DECIMAL, "genotype quality (FORMAT/GQ)", "Phred"),
        Column("ad_ref", INTEGER, "reads supporting REF (FORMAT/AD)", "reads"),
        Column("ad_alt", INTEGER, "reads supporting this ALT (FORMAT/AD)", "reads"),
        Column(
            "vaf",
            DECIMAL,
            "variant allele fraction: ad_alt / all allele depths",
            "fraction",
            ".4g",
        ),
        _GENE,
        Column("transcript", TEXT, "Ensembl transcript of that consequence"),
        _CONSEQUENCE,
        _PROTEIN,
        _ID,
        _POP_AF,
        _CLNSIG,
        Column("clinvar_disease", TEXT, "ClinVar disease name(s) (CLNDN)"),
    ),
)

VARIANTS_PARQUET = TableSchema(
    "variants (all samples)",
    "results/annotated/variants.parquet",
    "Every sample's and caller's variant table in one Parquet file, the columns and types "
    "of `{sample}.{caller}.variants.tsv` (missing values are nulls), rows ordered by "
    "sample, caller, then as in each table.",
    VARIANTS.columns,
)

CANDIDATES = TableSchema(
    "candidates",
    "results/prioritised/{sample}.{caller}.candidates.tsv",
    "A phenotyped sample's carried variants (PASS only unless "
    "`prioritisation.include_filtered`), ranked by score; written for samples with HPO "
    "terms in the sheet.",
    (
        Column("rank", INTEGER, "1 = best score"),
        _SAMPLE,
        _CHROM,
        _POS,
        _REF,
        _ALT,
        _GENOTYPE,
        _ZYGOSITY,
        _GENE,
        _CONSEQUENCE,
        _PROTEIN,
        _ID,
        _POP_AF,
        _CLNSIG,
        Column(
            "phenotype_score",
            DECIMAL,
            "Lin best-match average of the sample's HPO terms vs the gene's",
            "0-1",
            ".4f",
        ),
        Column(
            "variant_score",
            DECIMAL,
            "weighted mean of consequence, rarity, ClinVar and zygosity",
            "0-1",
            ".4f",
        ),
        Column("score", DECIMAL, "max(phenotype, 0.01)^a x variant^(1-a)", "0-1", ".4f"),
        Column("explanation", TEXT, "how the score was reached, component by component"),
        Column("hpo_terms", TEXT, "the sample's HPO terms used, ';'-separated"),
    ),
)

FILTER_STATS = TableSchema(
    "filter statistics",
    "results/calls/{sample}.{caller}.filter_stats.tsv",
    "What each filter of filters.yaml removed from a call set: a row `any` per level "
    "(site, genotype), then one per filter. The same in `.filter_stats.json`.",
    (
        Column("level", TEXT, "site or genotype"),
        Column("filter", TEXT, "filter name from filters.yaml, or `any`"),
        Column("failed", INTEGER, "records (sites) or genotypes that failed it", "count"),
        Column(
            "failed_alone",
            INTEGER,
            "that failed it and no other filter (empty on the `any` rows)",
            "count",
        ),
        Column("evaluated", INTEGER, "records or genotypes the filters saw", "count"),
        Column("description", TEXT, "the filter's description from filters.yaml"),
    ),
)

SAMPLE_QC = TableSchema(
    "sample QC",
    "results/cohort/sample_qc.tsv",
    "Per-sample QC of the cohort VCF (joint genotypes); thresholds and the outlier test in "
    "`sample_qc.json`.",
    (
        _SAMPLE,
        Column("sheet_sex", TEXT, "sex in the sample sheet: male, female or unknown"),
        Column("inferred_sex", TEXT, "sex inferred from chrX heterozygosity and X/Y depth"),
        Column("call_rate", DECIMAL, "called autosomal genotypes / sites", "fraction", ".4g"),
        Column("n_called_autosomal", INTEGER, "called autosomal genotypes", "count"),
        Column("n_autosomal_sites", INTEGER, "autosomal sites of the cohort", "count"),
        Column("n_snv", INTEGER, "SNV genotypes carrying an ALT", "count"),
        Column("n_indel", INTEGER, "indel genotypes carrying an ALT", "count"),
        Column("ti_tv", DECIMAL, "transitions / transversions of its SNVs", "ratio", ".4g"),
        Column("n_het", INTEGER, "heterozygous genotypes", "count"),
        Column("n_hom_alt", INTEGER, "homozygous-ALT genotypes", "count"),
        Column("het_hom_ratio", DECIMAL, "n_het / n_hom_alt", "ratio", ".4g"),
        Column("x_variant_calls", INTEGER, "chrX (non-PAR) genotypes carrying an ALT", "count"),
        Column("x_het_fraction", DECIMAL, "heterozygous among them", "fraction", ".4g"),
        Column(
            "mean_depth_autosomes",
            DECIMAL,
            "mean read depth on autosomes: the sample's mosdepth summary (bases / length), "
            "not the cohort VCF's FORMAT/DP (reference blocks carry their minimum depth)",
            "x",
            ".4g",
        ),
        Column("x_depth_ratio", DECIMAL, "chrX mean depth / autosomal (mosdepth)", "ratio", ".4g"),
        Column("y_depth_ratio", DECIMAL, "chrY mean depth / autosomal (mosdepth)", "ratio", ".4g"),
        Column("sex_evidence", TEXT, "which evidence decided inferred_sex"),
        Column("flags", TEXT, "PASS, or ';'-separated QC flags (low_call_rate, sex_mismatch, …)"),
    ),
)

RELATEDNESS = TableSchema(
    "relatedness",
    "results/cohort/relatedness.tsv",
    "KING-robust kinship of every sample pair of the cohort VCF. When the cohort is too "
    "small to estimate, the file holds one `## skipped: <reason>` line, then the header "
    "and no rows.",
    (
        Column("sample_a", TEXT, "first sample of the pair"),
        Column("sample_b", TEXT, "second sample of the pair"),
        Column(
            "kinship",
            DECIMAL,
            "KING-robust kinship (0.5 duplicate, 0.25 first degree)",
            "coefficient",
            ".4f",
        ),
        Column("n_sites", INTEGER, "sites both samples are called at with depth", "count"),
        Column("het_het", INTEGER, "sites heterozygous in both", "count"),
        Column("opposite_hom", INTEGER, "sites homozygous for opposite alleles", "count"),
        Column("het_a", INTEGER, "heterozygous sites of sample_a", "count"),
        Column("het_b", INTEGER, "heterozygous sites of sample_b", "count"),
        Column(
            "estimate_degree",
            TEXT,
            "duplicate (or MZ twin), first-degree, second-degree, third-degree, unrelated, "
            "or unknown (no kinship)",
        ),
        Column(
            "flag",
            TEXT,
            "estimate_degree, or insufficient_data when n_sites is below the minimum "
            "(cohort.relatedness.min_sites): then the kinship is not to be trusted",
        ),
    ),
)

MEMBERS = TableSchema(
    "cohort members",
    "results/cohort/members.tsv",
    "The cohort's samples in sheet order with their sheet sex, in the form `bcftools call "
    "--samples-file` reads (which takes no header line, so this file has none).",
    (
        _SAMPLE,
        Column("sex", TEXT, "M (male), F (female) or U (unknown: diploid calls)"),
    ),
    header=False,
)

_METHOD = Column(
    "method",
    TEXT,
    "matching method: allele, genotype (exact allele match), haplotype, haplotype_genotype "
    "(haplotype-aware, as hap.py)",
)
ACCURACY = TableSchema(
    "accuracy",
    "results/accuracy/{sample}.{call set}.accuracy.tsv",
    "Precision, recall and F1 of a call set against the truth set in the confident "
    "regions (config `accuracy`), per matching method and variant type. The same and the "
    "inputs in `.accuracy.json`.",
    (
        _METHOD,
        Column("type", TEXT, "SNV, INDEL or ALL"),
        Column("truth_total", INTEGER, "truth variants", "count"),
        Column("truth_tp", INTEGER, "truth variants found", "count"),
        Column("fn", INTEGER, "truth variants missed", "count"),
        Column("query_total", INTEGER, "calls (PASS only unless --all-calls)", "count"),
        Column("query_tp", INTEGER, "calls matching the truth", "count"),
        Column("fp", INTEGER, "calls not in the truth", "count"),
        Column("precision", DECIMAL, "query_tp / query_total (empty: no calls)", "fraction"),
        Column("recall", DECIMAL, "truth_tp / truth_total (empty: no truth)", "fraction"),
        Column("f1", DECIMAL, "harmonic mean of precision and recall", "fraction"),
    ),
)
DISCREPANCIES = TableSchema(
    "accuracy discrepancies",
    "results/accuracy/{sample}.{call set}.accuracy.discrepancies.tsv",
    "Every false negative and false positive of the accuracy table, for inspection.",
    (
        _METHOD,
        Column("status", TEXT, "FN (truth variant missed) or FP (call not in the truth)"),
        Column("type", TEXT, "SNV or INDEL"),
        _CHROM,
        _POS,
        _REF,
        _ALT,
        _GENOTYPE,
    ),
)

DOCUMENTED = (
    VARIANTS,
    VARIANTS_PARQUET,
    CANDIDATES,
    FILTER_STATS,
    SAMPLE_QC,
    RELATEDNESS,
    MEMBERS,
    ACCURACY,
    DISCREPANCIES,
)


def reference() -> str:
    """The column reference of every documented table."""
    return "\n".join(schema.markdown() for schema in DOCUMENTED)


if __name__ == "__main__":
    sys.stdout.write(reference())
