"""Seeded per-sample gVCFs shaped like `bcftools call -g` writes them, for merge tests
and the incremental-cohort benchmark: variant calls (GT, DP, PL, GQ) and reference
blocks (END, MinDP) between them, over one contig of a random reference.
"""

from __future__ import annotations

import random
from pathlib import Path

import pysam

CONTIG = "chr1"
HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##contig=<ID={contig},length={length}>
##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the block">
##INFO=<ID=MinDP,Number=1,Type=Integer,Description="Minimum per-sample depth in the block">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Raw read depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}
"""


def write_reference(folder: Path, length: int, seed: int = 1) -> Path:
    """A random FASTA of one contig, indexed."""
    rng = random.Random(seed)
    sequence = "".join(rng.choice("ACGT") for _ in range(length))
    fasta = folder / "reference.fa"
    lines = [sequence[i : i + 60] for i in range(0, length, 60)]
    fasta.write_text(f">{CONTIG}\n" + "\n".join(lines) + "\n")
    pysam.faidx(str(fasta))
    return fasta


def reference_sequence(fasta: Path) -> str:
    with pysam.FastaFile(str(fasta)) as reference:
        return reference.fetch(CONTIG)


def write_gvcf(
    folder: Path, sample: str, sequence: str, seed: int, variant_rate: float = 0.002
) -> Path:
    """One sample's gVCF (bgzipped, tabix-indexed); shared sites come from a small pool so
    that samples overlap, as in a real cohort."""
    rng = random.Random(seed)
    length = len(sequence)
    pool = random.Random(0).sample(range(1, length + 1), max(1, int(length * variant_rate * 4)))
    sites = sorted(p for p in pool if rng.random() < 0.25)
    lines = [HEADER.format(contig=CONTIG, length=length, sample=sample)]
    position = 1
    for site in [*sites, length + 1]:
        if site > position:
            depth = rng.randint(5, 40)
            end = site - 1
            info = f"END={end};MinDP={depth}" if end > position else f"MinDP={depth}"
            ref = sequence[position - 1]
            lines.append(f"{CONTIG}\t{position}\t.\t{ref}\t.\t.\t.\t{info}\tGT:DP\t0/0:{depth}\n")
        if site <= length:
            ref = sequence[site - 1]
            alt = rng.choice([base for base in "ACGT" if base != ref])
            depth = rng.randint(10, 40)
            genotype, pl = rng.choice([("0/1", "200,0,200"), ("1/1", "255,90,0")])
            lines.append(
                f"{CONTIG}\t{site}\t.\t{ref}\t{alt}\t{rng.randint(30, 225)}\t.\tDP={depth}"
                f"\tGT:DP:PL:GQ\t{genotype}:{depth}:{pl}:99\n"
            )
        position = site + 1
    plain = folder / f"{sample}.g.vcf"
    plain.write_text("".join(lines))
    compressed = pysam.tabix_index(str(plain), preset="vcf", force=True)
    return Path(compressed)


def write_cohort(folder: Path, n_samples: int, length: int, seed: int = 1) -> tuple[Path, list]:
    """A reference, a BED of the whole contig and `n_samples` gVCFs."""
    folder.mkdir(parents=True, exist_ok=True)
    fasta = write_reference(folder, length, seed)
    sequence = reference_sequence(fasta)
    (folder / "regions.bed").write_text(f"{CONTIG}\t0\t{length}\n")
    gvcfs = [
        write_gvcf(folder, f"S{index:05d}", sequence, seed * 100_003 + index)
        for index in range(n_samples)
    ]
    return fasta, gvcfs
