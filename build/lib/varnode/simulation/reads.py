"""Paired-end reads drawn from a sample's two haplotypes, with a sequencing error model.

Fragments start uniformly on each haplotype (half the pairs each), with lengths from a
normal insert-size distribution; read 1 comes from either end of the fragment.

The error model is Illumina-like. Each base first gets an error probability: a
per-cycle curve that rises along the read (read 2 worse than read 1), times a per-read
factor (some clusters are worse) and a per-base factor, both log-normal with mean 1.
That probability, rounded to a Phred score, is the base's quality, and the base is
then substituted with exactly the probability its quality states, so qualities are
calibrated by construction. A small share of reads also carries one 1-bp insertion
or deletion error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from varnode.errors import VarnodeError
from varnode.simulation.genome import BASES, COMPLEMENT

FRAGMENT_MEAN, FRAGMENT_SD = 400, 80
BASE_INDEX = np.full(256, 4, dtype=np.int8)
BASE_INDEX[BASES] = np.arange(4)


@dataclass(frozen=True)
class ErrorModel:
    first_cycle_error: float = 0.0005  # Q33
    last_cycle_error: float = 0.008  # Q21, read 1
    read2_factor: float = 1.5
    curve_power: float = 2.0
    read_spread: float = 0.5  # SD of the log per-read factor
    base_spread: float = 0.6  # SD of the log per-base factor
    indel_error: float = 1e-5  # per base
    min_quality: int = 2
    max_quality: int = 41

    def cycle_error(self, read_length: int, mate: int) -> np.ndarray:
        """Mean substitution probability at each cycle of read `mate` (1 or 2)."""
        cycle = np.arange(read_length) / max(1, read_length - 1)
        curve = (
            self.first_cycle_error
            + (self.last_cycle_error - self.first_cycle_error) * cycle**self.curve_power
        )
        return curve * (self.read2_factor if mate == 2 else 1.0)

    def qualities(self, rng: np.random.Generator, reads: int, length: int, mate: int):
        """Phred qualities (reads x length, uint8) for one mate."""

        def unit_mean_lognormal(sd, shape):
            return rng.lognormal(-(sd**2) / 2, sd, shape)

        probability = (
            self.cycle_error(length, mate)[None, :]
            * unit_mean_lognormal(self.read_spread, (reads, 1))
            * unit_mean_lognormal(self.base_spread, (reads, length))
        )
        phred = np.rint(-10 * np.log10(np.clip(probability, 1e-10, 1)))
        return np.clip(phred, self.min_quality, self.max_quality).astype(np.uint8)


def error_probability(qualities: np.ndarray) -> np.ndarray:
    return 10.0 ** (-qualities.astype(np.float64) / 10)


@dataclass
class ReadPairs:
    names: list[str]
    read1: np.ndarray  # (pairs, length) ASCII bases
    qual1: np.ndarray  # (pairs, length) Phred
    read2: np.ndarray
    qual2: np.ndarray


def draw_fragments(rng, haplotype: np.ndarray, count: int, read_length: int):
    """(starts, lengths) of `count` fragments lying on `haplotype` and free of N."""
    longest = len(haplotype)
    shortest = read_length + 1  # one spare base lets a read carry a deletion error
    if longest < shortest:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_before = np.concatenate([[0], np.cumsum(haplotype == ord("N"))])
    starts, lengths = [], []
    found, attempts = 0, 0
    while found < count:
        attempts += 1
        if attempts > 50:
            raise VarnodeError("reference has too few N-free stretches to place reads")
        batch = int((count - found) * 1.2) + 10
        length = np.clip(np.rint(rng.normal(FRAGMENT_MEAN, FRAGMENT_SD, batch)), shortest, longest)
        length = length.astype(np.int64)
        start = (rng.random(batch) * (longest - length + 1)).astype(np.int64)
        clean = n_before[start + length] == n_before[start]
        starts.append(start[clean])
        lengths.append(length[clean])
        found += int(clean.sum())
    return np.concatenate(starts)[:count], np.concatenate(lengths)[:count]


def _with_indel_errors(rng, templates: np.ndarray, model: ErrorModel, length: int) -> np.ndarray:
    """Cut templates (length + 1 bases) to reads of `length`, a few with a 1-bp indel."""
    reads = templates[:, :length].copy()
    hit = np.flatnonzero(rng.random(len(reads)) < 1 - (1 - model.indel_error) ** length)
    where = rng.integers(1, length - 1, len(hit))
    is_deletion = rng.random(len(hit)) < 0.5
    inserted = BASES[rng.integers(0, 4, len(hit))]
    for row, k, deletion, base in zip(hit, where, is_deletion, inserted, strict=True):
        template = templates[row]
        if deletion:
            reads[row, k:] = template[k + 1 : length + 1]
        else:
            reads[row, k] = base
            reads[row, k + 1 :] = template[k : length - 1]
    return reads


def sequence_reads(rng, templates: np.ndarray, model: ErrorModel, mate: int):
    """(bases, qualities) read from templates (in read direction, length + 1 bases)."""
    length = templates.shape[1] - 1
    reads = _with_indel_errors(rng, templates, model, length)
    qualities = model.qualities(rng, len(reads), length, mate)
    error = rng.random(reads.shape) < error_probability(qualities)
    index = BASE_INDEX[reads]
    error &= index < 4
    substitute = (index + rng.integers(1, 4, reads.shape)) % 4
    reads[error] = BASES[substitute[error]]
    return reads, qualities


def simulate_pairs(
    rng,
    haplotypes: list[tuple[str, np.ndarray]],
    pairs_per_haplotype: list[int],
    read_length: int,
    model: ErrorModel,
    sample: str,
) -> ReadPairs:
    """Read pairs from each (label, sequence) haplotype, in random order."""
    offsets = np.arange(read_length + 1)
    forward, reverse, origins = [], [], []
    for (label, sequence), count in zip(haplotypes, pairs_per_haplotype, strict=True):
        starts, lengths = draw_fragments(rng, sequence, count, read_length)
        forward.append(sequence[starts[:, None] + offsets])
        reverse.append(COMPLEMENT[sequence[(starts + lengths - 1)[:, None] - offsets]])
        ends = (starts + lengths).tolist()
        origins += [f"{label}:{s + 1}-{e}" for s, e in zip(starts.tolist(), ends, strict=True)]
    forward_templates = np.concatenate(forward)
    reverse_templates = np.concatenate(reverse)
    from_minus = rng.random(len(origins)) < 0.5
    first = np.where(from_minus[:, None], reverse_templates, forward_templates)
    second = np.where(from_minus[:, None], forward_templates, reverse_templates)
    read1, qual1 = sequence_reads(rng, first, model, mate=1)
    read2, qual2 = sequence_reads(rng, second, model, mate=2)
    order = rng.permutation(len(origins))
    width = len(str(len(origins)))
    names = [
        f"{sample}.{i + 1:0{width}d} origin={origins[j]}:{'-' if from_minus[j] else '+'}"
        for i, j in enumerate(order.tolist())
    ]
    return ReadPairs(names, read1[order], qual1[order], read2[order], qual2[order])


def fastq_bytes(names: list[str], reads: np.ndarray, qualities: np.ndarray) -> bytes:
    length = reads.shape[1]
    bases = reads.tobytes()
    quals = (qualities + 33).astype(np.uint8).tobytes()
    return b"".join(
        b"@%s\n%s\n+\n%s\n"
        % (
            name.encode(),
            bases[i * length : (i + 1) * length],
            quals[i * length : (i + 1) * length],
        )
        for i, name in enumerate(names)
    )
