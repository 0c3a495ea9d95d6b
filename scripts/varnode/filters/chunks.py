"""Stream a multi-sample VCF/BCF as numpy chunks of genotypes, one chunk of records at a time.

Cohort statistics (allele counts, sample QC, kinship) are sums over records, so they
read the file once, chunk by chunk: memory is bounded by one chunk (records x samples),
never by the whole cohort, and the arithmetic is vectorised over the chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from cyvcf2 import VCF, Variant

from varnode.errors import VarnodeError

SNV, INDEL, OTHER = 0, 1, 2
TRANSITIONS = {("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")}
# htslib's int32 "missing" value, as cyvcf2 returns it from FORMAT arrays.
INT32_MISSING = np.iinfo(np.int32).min


@dataclass
class GenotypeChunk:
    """Records [start, start + size) of the file, as arrays.

    `alleles[r, s]` holds sample s's two allele indices at record r; a negative value
    is an absent allele (missing, or the second slot of a haploid call), so a call's
    ploidy is its number of non-negative alleles. `depth` is FORMAT/DP, -1 where absent.
    """

    chroms: np.ndarray  # (R,) str
    positions: np.ndarray  # (R,) int64, 1-based
    refs: np.ndarray  # (R,) str
    alts: np.ndarray  # (R,) str, comma-separated as in the VCF
    n_alleles: np.ndarray  # (R,) int, REF included
    kinds: np.ndarray  # (R,) SNV / INDEL / OTHER
    transitions: np.ndarray  # (R,) bool: biallelic SNV that is a transition
    alleles: np.ndarray  # (R, S, 2) int16
    depth: np.ndarray  # (R, S) int32

    def __len__(self) -> int:
        return len(self.positions)


def variant_kind(ref: str, alts: list[str]) -> int:
    if not alts or any(alt.startswith("<") or alt in ("*", ".") for alt in alts):
        return OTHER
    if len(ref) == 1 and all(len(alt) == 1 for alt in alts):
        return SNV
    if any(len(alt) != len(ref) for alt in alts):
        return INDEL
    return OTHER


def _diploid_alleles(variant: Variant, path: str, n_samples: int) -> np.ndarray:
    if "GT" not in variant.FORMAT:
        return np.full((n_samples, 2), -1, dtype=np.int16)
    calls = variant.genotype.array()[:, :-1]  # last column is the phased flag
    if calls.shape[1] > 2:
        raise VarnodeError(
            f"{path} record {variant.CHROM}:{variant.POS}: ploidy {calls.shape[1]} "
            "genotypes are not supported (haploid and diploid only)"
        )
    if calls.shape[1] == 1:
        calls = np.hstack([calls, np.full_like(calls, -2)])
    return calls


def _depth(variant: Variant, n_samples: int) -> np.ndarray:
    depth = variant.format("DP")
    if depth is None:
        return np.full(n_samples, -1, dtype=np.int32)
    depth = depth[:, 0].astype(np.int32)
    depth[depth < 0] = -1  # htslib missing / vector-end sentinels
    return depth


def read_chunks(
    path: str,
    chunk_size: int,
    with_depth: bool = True,
) -> tuple[VCF, Iterator[GenotypeChunk]]:
    """Open `path` and return (reader, chunk iterator); the reader gives header and samples."""
    if chunk_size < 1:
        raise VarnodeError(f"chunk size must be at least 1, got {chunk_size}")
    try:
        reader = VCF(path, gts012=False, threads=1)
    except OSError as error:
        raise VarnodeError(f"{path}: cannot open as VCF/BCF ({error})") from None
    return reader, _iterate(reader, path, chunk_size, with_depth)


def _iterate(reader: VCF, path: str, chunk_size: int, with_depth: bool) -> Iterator[GenotypeChunk]:
    n_samples = len(reader.samples)
    chunk = _empty_chunk(chunk_size, n_samples)
    row = 0
    for variant in reader:
        # Arrays are taken as each record is read: htslib unpacks the record just once.
        chunk.alleles[row] = _diploid_alleles(variant, path, n_samples)
        if with_depth:
            chunk.depth[row] = _depth(variant, n_samples)
        alts = variant.ALT
        chunk.chroms[row] = variant.CHROM
        chunk.positions[row] = variant.POS
        chunk.refs[row] = variant.REF
        chunk.alts[row] = ",".join(alts) or "."
        chunk.n_alleles[row] = len(alts) + 1
        chunk.kinds[row] = variant_kind(variant.REF, alts)
        if chunk.kinds[row] == SNV and len(alts) == 1:
            chunk.transitions[row] = (variant.REF.upper(), alts[0].upper()) in TRANSITIONS
        row += 1
        if row == chunk_size:
            yield chunk
            chunk = _empty_chunk(chunk_size, n_samples)
            row = 0
    if row:
        yield _truncated(chunk, row)


def _empty_chunk(size: int, n_samples: int) -> GenotypeChunk:
    return GenotypeChunk(
        chroms=np.empty(size, dtype=object),
        positions=np.zeros(size, dtype=np.int64),
        refs=np.empty(size, dtype=object),
        alts=np.empty(size, dtype=object),
        n_alleles=np.ones(size, dtype=np.int64),
        kinds=np.full(size, OTHER, dtype=np.int8),
        transitions=np.zeros(size, dtype=bool),
        alleles=np.full((size, n_samples, 2), -1, dtype=np.int16),
        depth=np.full((size, n_samples), -1, dtype=np.int32),
    )


def _truncated(chunk: GenotypeChunk, size: int) -> GenotypeChunk:
    return GenotypeChunk(
        chroms=chunk.chroms[:size],
        positions=chunk.positions[:size],
        refs=chunk.refs[:size],
        alts=chunk.alts[:size],
        n_alleles=chunk.n_alleles[:size],
        kinds=chunk.kinds[:size],
        transitions=chunk.transitions[:size],
        alleles=chunk.alleles[:size],
        depth=chunk.depth[:size],
    )
