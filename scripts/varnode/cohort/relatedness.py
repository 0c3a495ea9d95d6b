"""Pairwise relatedness: the KING-robust kinship estimator (Manichaikul et al. 2010).

    phi_ij = (N_AaAa - 2 N_AA,aa) / (N_Aa(i) + N_Aa(j))

over biallelic autosomal SNVs where both samples have a diploid call of adequate depth:
N_AaAa counts sites where both are heterozygous, N_AA,aa sites where they are opposite
homozygotes, N_Aa(i) sites where i is heterozygous. The estimate is robust to population
structure because it needs no allele frequencies. Expected values: 0.5 for duplicates
(or MZ twins), 0.25 first degree, 0.125 second, 0.0625 third, 0 unrelated; the degree
boundaries are KING's (powers of two halfway on a log scale).

An estimate from few sites is noise, so each pair reports the sites it rests on (sites
where at least one of the two carries an ALT allele), and pairs below a minimum are
flagged `insufficient_data` instead of given a degree.

A cohort of one sample has no pairs: the table is then written without rows, its first
line stating why (`## skipped: ...`), so that a single patient's run completes and the
report says why relatedness is absent.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from varnode.common.atomic import write_text_atomic
from varnode.common.config import config_default
from varnode.common.tables import RELATEDNESS
from varnode.errors import VarnodeError
from varnode.filters.chunks import SNV, GenotypeChunk, read_chunks

DEGREES = (  # lower bound of kinship -> label
    (2**-1.5, "duplicate"),
    (2**-2.5, "first-degree"),
    (2**-3.5, "second-degree"),
    (2**-4.5, "third-degree"),
)
SKIPPED = "## skipped: "


class TooFewSamples(VarnodeError):
    """A pairwise statistic asked of fewer than two samples."""


@dataclass
class KingCounts:
    """Pairwise sums (S x S); additive over chunks and shards."""

    n_samples: int
    het_het: np.ndarray = field(init=False)
    opposite_hom: np.ndarray = field(init=False)
    het_where_both: np.ndarray = field(init=False)  # [i, j]: i het, both called
    informative: np.ndarray = field(init=False)  # both called, not both hom-ref

    def __post_init__(self) -> None:
        shape = (self.n_samples, self.n_samples)
        for name in ("het_het", "opposite_hom", "het_where_both", "informative"):
            setattr(self, name, np.zeros(shape, dtype=np.float64))

    def add_dosages(self, dosage: np.ndarray) -> None:
        """Add sites x samples ALT dosages (0, 1, 2; negative = not usable)."""
        called = (dosage >= 0).astype(np.float32)
        het = (dosage == 1).astype(np.float32)
        hom_alt = (dosage == 2).astype(np.float32)
        hom_ref = (dosage == 0).astype(np.float32)
        # Single-precision products of 0/1 indicators are exact up to 2**24 sites per chunk.
        self.het_het += het.T @ het
        alt_vs_ref = hom_alt.T @ hom_ref
        self.opposite_hom += alt_vs_ref + alt_vs_ref.T
        self.het_where_both += het.T @ called
        self.informative += called.T @ called - hom_ref.T @ hom_ref

    def add(self, chunk: GenotypeChunk, min_depth: int, excluded_contigs) -> None:
        sites = (
            (chunk.kinds == SNV)
            & (chunk.n_alleles == 2)
            & ~np.isin(chunk.chroms, list(excluded_contigs))
        )
        if sites.any():
            self.add_dosages(usable_dosages(chunk.alleles[sites], chunk.depth[sites], min_depth))

    def kinship(self) -> np.ndarray:
        denominator = self.het_where_both + self.het_where_both.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                denominator > 0, (self.het_het - 2 * self.opposite_hom) / denominator, np.nan
            )


def usable_dosages(alleles: np.ndarray, depth: np.ndarray, min_depth: int) -> np.ndarray:
    """ALT dosage of diploid calls with depth >= min_depth (absent DP passes), else -1."""
    first, second = alleles[..., 0], alleles[..., 1]
    diploid = (first >= 0) & (second >= 0)
    deep_enough = (depth >= min_depth) | (depth < 0)
    dosage = (first > 0).astype(np.int8) + (second > 0)
    return np.where(diploid & deep_enough, dosage, -1)


def degree(kinship: float) -> str:
    if np.isnan(kinship):
        return "unknown"
    for bound, label in DEGREES:
        if kinship > bound:
            return label
    return "unrelated"


def relatedness_rows(
    samples: list[str], counts: KingCounts, min_sites: int
) -> list[dict[str, object]]:
    kinship = counts.kinship()
    rows = []
    for i, j in combinations(range(len(samples)), 2):
        sites = int(counts.informative[i, j])
        estimate = degree(kinship[i, j])
        rows.append(
            {
                "sample_a": samples[i],
                "sample_b": samples[j],
                "kinship": None if np.isnan(kinship[i, j]) else float(kinship[i, j]),
                "n_sites": sites,
                "het_het": int(counts.het_het[i, j]),
                "opposite_hom": int(counts.opposite_hom[i, j]),
                "het_a": int(counts.het_where_both[i, j]),
                "het_b": int(counts.het_where_both[j, i]),
                "estimate_degree": estimate,
                "flag": estimate if sites >= min_sites else "insufficient_data",
            }
        )
    return rows


def relatedness(
    vcf: str,
    min_depth: int,
    min_sites: int,
    excluded_contigs: tuple[str, ...],
    chunk_size: int,
) -> list[dict[str, object]]:
    reader, chunks = read_chunks(vcf, chunk_size)
    samples = list(reader.samples)
    if len(samples) < 2:
        reader.close()
        raise TooFewSamples(f"relatedness needs at least 2 samples, found {len(samples)} in {vcf}")
    counts = KingCounts(len(samples))
    for chunk in chunks:
        counts.add(chunk, min_depth, excluded_contigs)
    reader.close()
    return relatedness_rows(samples, counts, min_sites)


def relatedness_table(rows: list[dict[str, object]], skipped: str | None = None) -> str:
    """The pairs as TSV (common.tables.RELATEDNESS); a skipped estimate is a header
    without rows after its reason."""
    lines = f"{SKIPPED}{skipped}\n" if skipped else ""
    return lines + RELATEDNESS.to_tsv(RELATEDNESS.frame(rows))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vcf", help="cohort VCF/BCF with GT (and FORMAT/DP)")
    parser.add_argument("-o", "--output", required=True, help="output TSV, one row per pair")
    # Defaults: config cohort.relatedness, cohort.sex and cohort.chunk_size (the schema's).
    settings = config_default("cohort", "relatedness")
    sex = config_default("cohort", "sex")
    parser.add_argument(
        "--min-depth", type=int, default=settings["min_depth"], help="min FORMAT/DP of a used call"
    )
    parser.add_argument(
        "--min-sites",
        type=int,
        default=settings["min_sites"],
        help="pairs resting on fewer informative sites are flagged insufficient_data",
    )
    parser.add_argument(
        "--exclude-contigs",
        nargs="*",
        default=sex["x_contigs"] + sex["y_contigs"] + sex["mito_contigs"],
        help="contigs left out (sex chromosomes, mitochondrion)",
    )
    parser.add_argument("--chunk-size", type=int, default=config_default("cohort", "chunk_size"))


def run(args: argparse.Namespace) -> int:
    try:
        rows = relatedness(
            args.vcf, args.min_depth, args.min_sites, tuple(args.exclude_contigs), args.chunk_size
        )
    except TooFewSamples as reason:
        write_text_atomic(args.output, relatedness_table([], skipped=str(reason)))
        print(f"{args.output}: skipped: {reason}")
        return 0
    write_text_atomic(args.output, relatedness_table(rows))
    print(f"{args.output}: {len(rows)} pairs")
    return 0
