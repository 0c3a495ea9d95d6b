"""Both sides of a comparison, normalised the same way and read as simple records."""

from __future__ import annotations

import subprocess
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from varnode.errors import VarnodeError
from varnode.reference.regions import Interval, read_bed


@dataclass(frozen=True)
class Variant:
    """One ALT allele (after splitting) as carried by one sample."""

    chrom: str
    pos0: int  # 0-based start of REF
    ref: str
    alt: str
    copies: int  # 1 = heterozygous, 2 = homozygous for this ALT
    qual: float | None = field(default=None, compare=False)  # the record's QUAL

    @property
    def end(self) -> int:
        return self.pos0 + len(self.ref)

    @property
    def kind(self) -> str:
        """SNV for substitutions (an MNP counts as one), INDEL when the length changes."""
        return "SNV" if len(self.ref) == len(self.alt) else "INDEL"

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.chrom, self.pos0, self.ref, self.alt)

    @property
    def genotype(self) -> str:
        return "1/1" if self.copies == 2 else "0/1"


@dataclass(frozen=True)
class SpanningDeletion:
    """A `*` allele the sample carries: on `copies` haplotypes, the base at `pos0` lies
    inside a deletion that another record writes (VCF 4.2+: "allele missing due to an
    overlapping deletion"). Replaying it changes nothing; hap.py and vcfeval skip it."""

    chrom: str
    pos0: int
    copies: int

    @property
    def end(self) -> int:
        return self.pos0 + 1


@dataclass
class CallSet:
    """A sample's alleles in one VCF: the variants and its spanning-deletion alleles."""

    variants: list[Variant]
    spanning_deletions: list[SpanningDeletion]


def normalise(vcf: Path, reference: Path, workdir: Path) -> Path:
    """Split multi-allelic records and left-align/trim indels (bcftools norm); a REF that
    disagrees with the reference is an error (wrong reference given)."""
    out = workdir / f"{vcf.name}.norm.vcf.gz"
    command = [
        "bcftools", "norm", "--multiallelics", "-any", "--fasta-ref", str(reference),
        "--check-ref", "e", "--no-version", "-Oz", "-o", str(out), str(vcf),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise VarnodeError(f"{vcf}: bcftools norm failed: {result.stderr.strip()[-500:]}")
    return out


class RegionFilter:
    """Keeps variants whose first REF base lies in a BED region (all if no BED)."""

    def __init__(self, intervals: list[Interval] | None):
        self.by_chrom: dict[str, tuple[list[int], list[int]]] | None = None
        if intervals is not None:
            merged: dict[str, list[tuple[int, int]]] = {}
            for chrom, start, end in sorted(intervals):
                spans = merged.setdefault(chrom, [])
                if spans and start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
                else:
                    spans.append((start, end))
            self.by_chrom = {
                chrom: ([s for s, _ in spans], [e for _, e in spans])
                for chrom, spans in merged.items()
            }

    def __contains__(self, variant: Variant | SpanningDeletion) -> bool:
        if self.by_chrom is None:
            return True
        starts, ends = self.by_chrom.get(variant.chrom, ([], []))
        i = bisect_right(starts, variant.pos0) - 1
        return i >= 0 and variant.pos0 < ends[i]


def read_variants(vcf: Path, sample: str | None, regions: RegionFilter, pass_only: bool) -> CallSet:
    """Non-reference alleles the sample carries, deduplicated, in position order; `*`
    alleles apart (they spell nothing)."""
    from cyvcf2 import VCF

    reader = VCF(str(vcf), samples=[sample] if sample else None)
    if not reader.samples:
        raise VarnodeError(f"{vcf}: no sample column (a genotype is needed to compare)")
    if sample and sample not in reader.samples:
        raise VarnodeError(f"{vcf}: no sample {sample!r} (has {', '.join(reader.samples)})")
    column = reader.samples.index(sample) if sample else 0
    found: dict[tuple[str, int, str, str], Variant] = {}
    spanning: dict[tuple[str, int], SpanningDeletion] = {}
    for record in reader:
        if pass_only and record.FILTER not in (None, "PASS"):
            continue
        alt = record.ALT[0] if record.ALT else "."
        if alt == "." or alt.startswith("<"):
            continue
        alleles = record.genotypes[column][:-1]
        copies = sum(1 for allele in alleles if allele == 1)
        if copies == 0:
            continue
        if alt == "*":
            marker = SpanningDeletion(record.CHROM, record.start, min(copies, 2))
            if marker in regions:
                spanning[(marker.chrom, marker.pos0)] = marker
            continue
        variant = Variant(record.CHROM, record.start, record.REF, alt, min(copies, 2), record.QUAL)
        previous = found.get(variant.key)
        if variant in regions and (previous is None or variant.copies > previous.copies):
            found[variant.key] = variant
    reader.close()
    return CallSet(
        sorted(found.values(), key=lambda v: (v.chrom, v.pos0, v.end, v.alt)),
        sorted(spanning.values(), key=lambda m: (m.chrom, m.pos0)),
    )


def load(
    vcf: str, reference: str, sample: str | None, bed: str | None, pass_only: bool
) -> list[Variant]:
    return load_call_set(vcf, reference, sample, bed, pass_only).variants


def load_call_set(
    vcf: str, reference: str, sample: str | None, bed: str | None, pass_only: bool
) -> CallSet:
    vcf_path = Path(vcf)
    if not vcf_path.is_file():
        raise VarnodeError(f"{vcf}: file not found")
    regions = RegionFilter(read_bed(bed) if bed else None)
    with tempfile.TemporaryDirectory(prefix="varnode-compare-") as work:
        normalised = normalise(vcf_path, Path(reference), Path(work))
        return read_variants(normalised, sample, regions, pass_only)
