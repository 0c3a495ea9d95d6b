"""Flatten an annotated per-sample VCF into a table: one row per variant allele.

Reads what the annotation rules wrote: `bcftools csq`'s INFO/BCSQ (the most severe
transcript consequence is reported), the ID column (dbSNP), INFO/POP_AF (population
allele frequency) and INFO/CLNSIG, INFO/CLNDN (ClinVar). Each is optional.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from varnode.annotate.consequences import severity
from varnode.common.atomic import atomic_path
from varnode.errors import VarnodeError

# INFO tags the annotation rules write; workflow/rules/annotate.smk imports them.
POPULATION_AF_TAG = "POP_AF"
CLINVAR_TAGS = ("CLNSIG", "CLNDN")

COLUMNS = (
    "sample",
    "chrom",
    "pos",
    "ref",
    "alt",
    "genotype",
    "zygosity",
    "filter",
    "gene",
    "transcript",
    "consequence",
    "protein_change",
    "id",
    "population_af",
    "clinvar_significance",
    "clinvar_disease",
)


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


def variant_rows(vcf: str | Path, sample: str | None = None):
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
        for index, alt in enumerate(record.ALT, start=1):
            worst = worst_by_alt.get(alt) or worst_by_alt.get(None)
            yield {
                "sample": sample,
                "chrom": record.CHROM,
                "pos": record.POS,
                "ref": record.REF,
                "alt": alt,
                "genotype": genotype,
                "zygosity": zygosity(alleles, index),
                "filter": record.FILTER or "PASS",
                "gene": worst.gene if worst else "",
                "transcript": worst.transcript if worst else "",
                "consequence": worst.consequence if worst else "",
                "protein_change": worst.protein_change if worst else "",
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


def write_table(vcf: str | Path, output: str | Path, sample: str | None = None) -> int:
    rows = 0
    with atomic_path(output) as partial, partial.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for row in variant_rows(vcf, sample):
            writer.writerow(row)
            rows += 1
    return rows


def configure(parser) -> None:
    parser.add_argument("vcf", help="annotated VCF (bgzipped)")
    parser.add_argument("--output", "-o", required=True, help="TSV to write")
    parser.add_argument("--sample", help="sample column to tabulate (default: the only one)")


def run(args) -> int:
    rows = write_table(args.vcf, args.output, args.sample)
    print(f"{args.output}: {rows} variant alleles")
    return 0
