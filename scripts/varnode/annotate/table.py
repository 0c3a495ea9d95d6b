"""Flatten an annotated per-sample VCF into a table: one row per variant allele.

Reads what the calling and annotation rules wrote: QUAL, FILTER, the sample's GT, DP, GQ
and AD (VAF = the allele's AD over all ADs), `bcftools csq`'s INFO/BCSQ (the most severe
transcript consequence, its protein change in HGVS notation), the ID column (dbSNP),
INFO/POP_AF (population allele frequency) and INFO/CLNSIG, INFO/CLNDN (ClinVar). Each
is optional. The columns are common.tables.VARIANTS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from varnode.annotate.consequences import severity
from varnode.annotate.hgvs import hgvs_or_raw
from varnode.common.tables import VARIANTS
from varnode.errors import VarnodeError

# INFO tags the annotation rules write; workflow/rules/annotate.smk imports them.
POPULATION_AF_TAG = "POP_AF"
CLINVAR_TAGS = ("CLNSIG", "CLNDN")

COLUMNS = tuple(VARIANTS.names)


@dataclass(frozen=True)
class TranscriptConsequence:
    """One entry of INFO/BCSQ: Consequence|gene|transcript|biotype|strand|aa_change|dna_change."""

    consequence: str
    gene: str
    transcript: str
    protein_change: str
    dna_change: str

    @property
    def severity(self) -> float:
        return severity(self.consequence)


def parse_bcsq(value: str | None) -> list[TranscriptConsequence]:
    """Entries of a BCSQ value; '@POS' entries only point at a compound record and are skipped."""
    entries = []
    for entry in (value or "").split(","):
        if not entry or entry.startswith("@"):
            continue
        fields = entry.split("|") + [""] * 7
        entries.append(
            TranscriptConsequence(
                consequence=fields[0].lstrip("*"),
                gene=fields[1],
                transcript=fields[2],
                protein_change=fields[5],
                dna_change=fields[6],
            )
        )
    return entries


def most_severe(entries: list[TranscriptConsequence]) -> TranscriptConsequence | None:
    # max() keeps the first of equals, so ties go to bcftools' own (transcript) order.
    return max(entries, key=lambda entry: entry.severity, default=None)


def zygosity(alleles: list[int], allele: int) -> str:
    """Zygosity of ALT number `allele` in a genotype given as allele indexes (-1 = missing)."""
    called = [a for a in alleles if a >= 0]
    if not called:
        return "missing"
    carried = called.count(allele)
    if carried == 0:
        return "absent"
    if carried == len(alleles):
        return "hemizygous" if len(alleles) == 1 else "homozygous"
    return "heterozygous"


def _genotype_text(genotype: list) -> tuple[list[int], str]:
    *alleles, phased = genotype
    separator = "|" if phased else "/"
    return alleles, separator.join("." if a < 0 else str(a) for a in alleles)


def _per_allele(value, index: int) -> str:
    """INFO value for ALT number `index` (1-based): Number=A values are tuples."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        value = value[index - 1] if index <= len(value) else None
    if value is None or value == ".":
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _format_values(record, tag: str, column: int) -> list[float] | None:
    """The sample's FORMAT/tag values as floats (NaN where missing), or None if absent."""
    try:
        values = record.format(tag)
    except KeyError:
        return None
    if values is None:
        return None
    row = values[column]
    if row.dtype.kind in "iu":
        # htslib's missing and vector-end markers are the two most negative int32 values.
        return [float(v) if v >= 0 else math.nan for v in row]
    return [float(v) for v in row]


def _first(values: list[float] | None) -> float | None:
    if not values or math.isnan(values[0]):
        return None
    return values[0]


def variant_rows(vcf: str | Path, sample: str | None = None, caller: str | None = None):
    """Yield one dict per (record, ALT allele) for `sample` (default: the VCF's only sample)."""
    from cyvcf2 import VCF

    try:
        reader = VCF(str(vcf), gts012=False, lazy=True)
    except OSError as error:
        raise VarnodeError(f"{vcf}: cannot read as VCF ({error})") from None
    if sample is None:
        if len(reader.samples) != 1:
            raise VarnodeError(
                f"{vcf}: has {len(reader.samples)} samples ({', '.join(reader.samples[:5])}); "
                "name the one to tabulate with --sample"
            )
        sample = reader.samples[0]
    if sample not in reader.samples:
        raise VarnodeError(f"{vcf}: no sample {sample!r} (samples: {', '.join(reader.samples)})")
    column = reader.samples.index(sample)
    for record in reader:
        alleles, genotype = _genotype_text(record.genotypes[column])
        worst_by_alt = _consequences_by_alt(record)
        depths = _format_values(record, "AD", column)
        known = [d for d in depths or [] if not math.isnan(d)]
        total = sum(known) if known else None
        for index, alt in enumerate(record.ALT, start=1):
            worst = worst_by_alt.get(alt) or worst_by_alt.get(None)
            alt_depth = depths[index] if depths and index < len(depths) else math.nan
            yield {
                "sample": sample,
                "caller": caller,
                "chrom": record.CHROM,
                "pos": record.POS,
                "ref": record.REF,
                "alt": alt,
                "qual": record.QUAL,
                "filter": record.FILTER or "PASS",
                "genotype": genotype,
                "zygosity": zygosity(alleles, index),
                "dp": _first(_format_values(record, "DP", column)),
                "gq": _first(_format_values(record, "GQ", column)),
                "ad_ref": _first(depths),
                "ad_alt": None if math.isnan(alt_depth) else alt_depth,
                "vaf": alt_depth / total if total and not math.isnan(alt_depth) else None,
                "gene": worst.gene if worst else "",
                "transcript": worst.transcript if worst else "",
                "consequence": worst.consequence if worst else "",
                "protein_change": (
                    hgvs_or_raw(worst.protein_change, worst.consequence) if worst else ""
                ),
                "id": record.ID or "",
                "population_af": _per_allele(record.INFO.get(POPULATION_AF_TAG), index),
                "clinvar_significance": _per_allele(record.INFO.get(CLINVAR_TAGS[0]), index),
                "clinvar_disease": _per_allele(record.INFO.get(CLINVAR_TAGS[1]), index),
            }
    reader.close()


def _consequences_by_alt(record) -> dict[str | None, TranscriptConsequence]:
    """Most severe consequence per ALT allele.

    BCSQ does not name the allele; its DNA-change field ends in '>ALT' for substitutions,
    which assigns them. Everything else (indels, or records with one ALT, the pipeline's
    normalised form) goes under None and applies to every ALT of the record.
    """
    grouped: dict[str | None, list[TranscriptConsequence]] = {}
    for entry in parse_bcsq(record.INFO.get("BCSQ")):
        substitution = len(record.ALT) > 1 and ">" in entry.dna_change
        alt = entry.dna_change.rsplit(">", 1)[1] if substitution else None
        grouped.setdefault(alt, []).append(entry)
    return {alt: most_severe(entries) for alt, entries in grouped.items()}


def write_table(
    vcf: str | Path, output: str | Path, sample: str | None = None, caller: str | None = None
) -> int:
    """Write the variant table of `sample`; returns its row count."""
    return VARIANTS.write(variant_rows(vcf, sample, caller), output)


def configure(parser) -> None:
    parser.add_argument("vcf", help="annotated VCF (bgzipped)")
    parser.add_argument("--output", "-o", required=True, help="TSV to write")
    parser.add_argument("--sample", help="sample column to tabulate (default: the only one)")
    parser.add_argument("--caller", help="caller of the call set, for the caller column")


def run(args) -> int:
    rows = write_table(args.vcf, args.output, args.sample, args.caller)
    print(f"{args.output}: {rows} variant alleles")
    return 0
