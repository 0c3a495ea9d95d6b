"""The reference: a seeded random genome with human-like features, or a given FASTA.

A random reference is not uniform noise, because uniform noise has none of the things
that make calling hard. It gets: GC content that drifts between blocks (isochores),
CpG depletion (most CpGs decayed to TpG/CpA, as after methylation), interspersed
repeat families (an Alu-like and a LINE-like element, copied with divergence in both
orientations), short tandem repeats and homopolymers (where indels concentrate), and
a segmental duplication (where reads map ambiguously).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from varnode.errors import VarnodeError

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
COMPLEMENT = np.arange(256, dtype=np.uint8)
COMPLEMENT[np.frombuffer(b"ACGTN", dtype=np.uint8)] = np.frombuffer(b"TGCAN", dtype=np.uint8)

GC_BLOCK = 2_000
GC_MEAN, GC_SD = 0.41, 0.05
CPG_DECAY = 0.75
ALU_LENGTH, ALU_SPACING = 300, 3_000
LINE_LENGTH, LINE_SPACING = 1_000, 15_000
REPEAT_DIVERGENCE = (0.02, 0.2)
STR_SPACING = 1_500
SEGDUP_LENGTH, SEGDUP_SPACING, SEGDUP_DIVERGENCE = 1_500, 50_000, 0.02


@dataclass(frozen=True)
class Contig:
    name: str
    sequence: np.ndarray  # uint8 ASCII, upper case


def reverse_complement(sequence: np.ndarray) -> np.ndarray:
    return COMPLEMENT[sequence[..., ::-1]]


def random_bases(rng: np.random.Generator, length: int, gc: float | np.ndarray) -> np.ndarray:
    """Bases with P(G or C) = gc (scalar or per position)."""
    strong = rng.random(length) < gc
    pick = rng.integers(0, 2, length)
    # A=0 C=1 G=2 T=3: strong picks C/G, weak picks A/T.
    return BASES[np.where(strong, 1 + pick, 3 * pick)]


def mutate(rng: np.random.Generator, sequence: np.ndarray, rate: float) -> np.ndarray:
    """Copy of `sequence` with a fraction `rate` of positions substituted."""
    copy = sequence.copy()
    hit = np.flatnonzero(rng.random(len(copy)) < rate)
    copy[hit] = BASES[rng.integers(0, 4, len(hit))]
    return copy


def _decay_cpg(rng: np.random.Generator, sequence: np.ndarray) -> None:
    cpg = np.flatnonzero((sequence[:-1] == ord("C")) & (sequence[1:] == ord("G")))
    cpg = cpg[rng.random(len(cpg)) < CPG_DECAY]
    on_minus = rng.random(len(cpg)) < 0.5
    sequence[cpg[~on_minus]] = ord("T")  # CG -> TG
    sequence[cpg[on_minus] + 1] = ord("A")  # CG -> CA


def _paste_copies(rng, sequence, element: np.ndarray, count: int) -> None:
    """Overwrite random places with diverged, possibly truncated, either-strand copies."""
    for _ in range(count):
        keep = int(rng.integers(len(element) // 3, len(element) + 1))
        copy = element[len(element) - keep :]  # 5'-truncated, as retrotransposed copies are
        copy = mutate(rng, copy, rng.uniform(*REPEAT_DIVERGENCE))
        if rng.random() < 0.5:
            copy = reverse_complement(copy)
        if len(copy) >= len(sequence):
            continue
        start = int(rng.integers(0, len(sequence) - len(copy)))
        sequence[start : start + len(copy)] = copy


def _paste_tandem_repeats(rng, sequence, count: int) -> None:
    for _ in range(count):
        unit = random_bases(rng, int(rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6])), GC_MEAN)
        total = int(rng.integers(10, 41))
        repeat = np.resize(unit, total)
        if total >= len(sequence):
            continue
        start = int(rng.integers(0, len(sequence) - total))
        sequence[start : start + total] = repeat


def random_genome(rng: np.random.Generator, length: int, name: str = "sim1") -> Contig:
    if length < 1_000:
        raise VarnodeError(f"--length {length}: a random reference needs at least 1000 bp")
    blocks = -(-length // GC_BLOCK)
    gc = np.clip(rng.normal(GC_MEAN, GC_SD, blocks), 0.3, 0.6)
    sequence = random_bases(rng, length, np.repeat(gc, GC_BLOCK)[:length])
    _decay_cpg(rng, sequence)
    alu = np.concatenate(
        [random_bases(rng, ALU_LENGTH - 20, 0.55), np.full(20, ord("A"), np.uint8)]
    )
    _paste_copies(rng, sequence, alu, length // ALU_SPACING)
    _paste_copies(rng, sequence, random_bases(rng, LINE_LENGTH, 0.38), length // LINE_SPACING)
    _paste_tandem_repeats(rng, sequence, length // STR_SPACING)
    for _ in range(length // SEGDUP_SPACING):
        source = int(rng.integers(0, length - SEGDUP_LENGTH))
        target = int(rng.integers(0, length - SEGDUP_LENGTH))
        duplicate = mutate(rng, sequence[source : source + SEGDUP_LENGTH], SEGDUP_DIVERGENCE)
        sequence[target : target + SEGDUP_LENGTH] = duplicate
    return Contig(name, sequence)


def read_fasta(path: str | Path) -> list[Contig]:
    """All contigs of a (plain or bgzipped) FASTA, upper-cased; IUPAC codes other than
    ACGT become N so that no variant or read is drawn from them."""
    import pysam

    path = Path(path)
    if not path.is_file():
        raise VarnodeError(f"--reference {path}: file not found")
    try:
        with pysam.FastxFile(str(path)) as fasta:
            records = [(entry.name, entry.sequence) for entry in fasta]
    except (OSError, ValueError) as error:
        raise VarnodeError(f"--reference {path}: not a readable FASTA ({error})") from None
    if not records:
        raise VarnodeError(f"--reference {path}: no sequences")
    contigs = []
    acgt = np.zeros(256, dtype=bool)
    acgt[BASES] = True
    for name, text in records:
        sequence = np.frombuffer(text.upper().encode(), dtype=np.uint8).copy()
        sequence[~acgt[sequence]] = ord("N")
        contigs.append(Contig(name, sequence))
    return contigs


def fasta_text(contigs: list[Contig], width: int = 60) -> str:
    lines = []
    for contig in contigs:
        lines.append(f">{contig.name}")
        text = contig.sequence.tobytes().decode()
        lines.extend(text[i : i + width] for i in range(0, len(text), width))
    return "\n".join(lines) + "\n"
