"""Planted variants: a cohort-wide pool of sites, each sample's genotypes, its haplotypes.

Sites are drawn once for the whole cohort, each with a population allele frequency
from the neutral site-frequency spectrum (density proportional to 1/p on
[MIN_FREQUENCY, 1]); each sample then draws its two haplotypes' alleles from those
frequencies. So samples share common variants, as a real cohort does, and the
genotypes come out about 2 het : 1 hom-alt, as in human genomes. The pool is sized so
that one sample carries on average `rate` non-reference sites per callable base.

SNVs follow a transition:transversion ratio of 2, and a few SNV sites have a second
ALT allele (so a sample can be 1/2). Indel lengths follow a power law (about half are
1 bp), deletions slightly outnumber insertions, insertions are often tandem
duplications, and a share of indels sit in homopolymers and tandem repeats, where real
indels concentrate. Complex sites are MNPs (2-3 adjacent substitutions) and DELINS
(2-6 bases replaced by 1-6 others), which callers write as one record or several.
Every site is stored left-aligned and trimmed, as `bcftools norm` would write it, and
sites never overlap or touch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from varnode.simulation.genome import BASES, Contig

MIN_FREQUENCY = 0.005
TRANSITION_SHARE = 2 / 3  # Ti/Tv = 2
SECOND_ALT_SHARE = 0.03
DELETION_SHARE = 0.55
TANDEM_INSERTION_SHARE = 0.5
REPEAT_INDEL_SHARE = 0.4
MIN_RUN = 4
INDEL_LENGTH_EXPONENT = 1.8
MAX_INDEL_LENGTH = 50
MNP_SHARE = 0.5  # of complex sites; the rest are DELINS
MAX_COMPLEX_LENGTH = 6
EDGE = MAX_INDEL_LENGTH + 2
TRANSITION = {b"A": b"G", b"G": b"A", b"C": b"T", b"T": b"C"}
TRANSVERSIONS = {b"A": b"CT", b"G": b"CT", b"C": b"AG", b"T": b"AG"}


@dataclass(frozen=True)
class Site:
    contig: str
    pos0: int  # 0-based position of REF's first base
    ref: bytes
    alts: tuple[bytes, ...]
    freqs: tuple[float, ...]  # population frequency of each ALT

    @property
    def end(self) -> int:
        return self.pos0 + len(self.ref)


@dataclass(frozen=True)
class SampleVariants:
    sites: list[Site]
    alleles: np.ndarray  # (n_sites, 2) allele index on haplotype 0 and 1; 0 = REF


def _carrier_fraction() -> float:
    """Expected share of pool sites at which one diploid sample is non-reference."""
    eps = MIN_FREQUENCY
    return (2 * (1 - eps) - (1 - eps**2) / 2) / math.log(1 / eps)


def _frequencies(rng: np.random.Generator, count: int) -> np.ndarray:
    return MIN_FREQUENCY ** (1 - rng.random(count))  # log-uniform = density 1/p


def _indel_lengths(rng: np.random.Generator, count: int) -> np.ndarray:
    lengths = np.arange(1, MAX_INDEL_LENGTH + 1)
    weights = lengths.astype(float) ** -INDEL_LENGTH_EXPONENT
    return rng.choice(lengths, size=count, p=weights / weights.sum())


def left_align(sequence: bytes, pos0: int, ref: bytes, alt: bytes) -> tuple[int, bytes, bytes]:
    """Left-align and trim one REF/ALT pair against `sequence` (Tan et al. 2015)."""
    while True:
        if ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        elif (not ref or not alt) and pos0 > 0:
            pos0 -= 1
            base = sequence[pos0 : pos0 + 1]
            ref, alt = base + ref, base + alt
        else:
            break
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos0 = ref[1:], alt[1:], pos0 + 1
    return pos0, ref, alt


def _homopolymer_anchors(sequence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position before each run of >= MIN_RUN identical bases, run length)."""
    change = np.flatnonzero(sequence[1:] != sequence[:-1]) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [len(sequence)]]))
    keep = (lengths >= MIN_RUN) & (starts > 0) & (sequence[starts] != ord("N"))
    return starts[keep] - 1, lengths[keep]


def _snv_sites(rng, contig: Contig, text: bytes, positions: np.ndarray) -> list[Site]:
    frequencies = _frequencies(rng, len(positions))
    transition = rng.random(len(positions)) < TRANSITION_SHARE
    second = rng.random(len(positions)) < SECOND_ALT_SHARE
    picks = rng.integers(0, 2, len(positions))
    split = rng.uniform(0.2, 0.8, len(positions))
    sites = []
    for i, pos0 in enumerate(positions.tolist()):
        ref = text[pos0 : pos0 + 1]
        first = TRANSITION[ref] if transition[i] else TRANSVERSIONS[ref][picks[i] : picks[i] + 1]
        if second[i]:
            other = next(b for b in (b"A", b"C", b"G", b"T") if b not in (ref, first))
            alts = (first, other)
            freqs = (frequencies[i] * split[i], frequencies[i] * (1 - split[i]))
        else:
            alts, freqs = (first,), (frequencies[i],)
        sites.append(Site(contig.name, pos0, ref, alts, tuple(float(f) for f in freqs)))
    return sites


def _indel_sites(rng, contig: Contig, text: bytes, positions: np.ndarray) -> list[Site]:
    count = len(positions)
    anchors, runs = _homopolymer_anchors(contig.sequence)
    in_repeat = rng.random(count) < REPEAT_INDEL_SHARE if len(anchors) else np.zeros(count, bool)
    which_run = rng.integers(0, max(1, len(anchors)), count)
    lengths = _indel_lengths(rng, count)
    deletion = rng.random(count) < DELETION_SHARE
    tandem = rng.random(count) < TANDEM_INSERTION_SHARE
    random_insert = rng.integers(0, 4, (count, MAX_INDEL_LENGTH))
    frequencies = _frequencies(rng, count)
    sites = []
    for i in range(count):
        pos0, length = int(positions[i]), int(lengths[i])
        if in_repeat[i]:
            # Slippage in a run: gain or lose one or two copies of the repeated base.
            pos0 = int(anchors[which_run[i]])
            length = min(int(runs[which_run[i]]) - 1, 1 + int(lengths[i] > 1))
        if deletion[i]:
            ref, alt = text[pos0 : pos0 + 1 + length], text[pos0 : pos0 + 1]
        else:
            if tandem[i] or in_repeat[i]:
                inserted = text[pos0 + 1 : pos0 + 1 + length]
            else:
                inserted = BASES[random_insert[i, :length]].tobytes()
            ref, alt = text[pos0 : pos0 + 1], text[pos0 : pos0 + 1] + inserted
        pos0, ref, alt = left_align(text, pos0, ref, alt)
        sites.append(Site(contig.name, pos0, ref, (alt,), (float(frequencies[i]),)))
    return sites


def _different_base(rng, base: int) -> int:
    return int(BASES[(int(np.flatnonzero(base == BASES)[0]) + rng.integers(1, 4)) % 4])


def _complex_sites(rng, contig: Contig, text: bytes, positions: np.ndarray) -> list[Site]:
    """MNPs and DELINS whose first and last bases differ from the reference's, so that
    they are already trimmed (and, being length-changing or not, need no left-alignment)."""
    frequencies = _frequencies(rng, len(positions))
    sites = []
    for i, pos0 in enumerate(positions.tolist()):
        if rng.random() < MNP_SHARE:
            ref = text[pos0 : pos0 + int(rng.integers(2, 4))]
            alt = bytes(_different_base(rng, base) for base in ref)
        else:
            ref = text[pos0 : pos0 + int(rng.integers(2, MAX_COMPLEX_LENGTH + 1))]
            length = int(rng.choice([n for n in range(1, MAX_COMPLEX_LENGTH + 1) if n != len(ref)]))
            alt = bytearray(BASES[rng.integers(0, 4, length)].tobytes())
            alt[0] = _different_base(rng, ref[0])
            alt[-1] = _different_base(rng, ref[-1])
            alt = bytes(alt)
        if b"N" in ref:
            continue
        sites.append(Site(contig.name, pos0, ref, (alt,), (float(frequencies[i]),)))
    return sites


def _without_conflicts(sites: list[Site], text: bytes) -> list[Site]:
    """Drop sites that touch N, the contig ends, or an earlier site (in position order)."""
    kept: list[Site] = []
    last_end = -2
    for site in sorted(sites, key=lambda s: (s.pos0, s.end)):
        if site.pos0 <= last_end + 1 or site.pos0 < 1 or site.end + EDGE > len(text):
            continue
        if b"N" in text[site.pos0 - 1 : site.end + 1] or any(b"N" in alt for alt in site.alts):
            continue
        kept.append(site)
        last_end = site.end
    return kept


def plant_sites(
    rng, contigs: list[Contig], snv_rate: float, indel_rate: float, complex_rate: float = 0.0
) -> list[Site]:
    """The cohort's variant pool over all contigs, in reference order."""
    pool_scale = 1 / _carrier_fraction()
    sites: list[Site] = []
    for contig in contigs:
        text = contig.sequence.tobytes()
        callable_positions = np.flatnonzero(contig.sequence != ord("N"))
        callable_positions = callable_positions[
            (callable_positions >= EDGE) & (callable_positions < len(text) - EDGE)
        ]
        counts = rng.poisson(
            np.array([snv_rate, indel_rate, complex_rate]) * len(callable_positions) * pool_scale
        )
        drawn = rng.choice(
            callable_positions, size=min(counts.sum(), len(callable_positions)), replace=False
        )
        candidates = _snv_sites(rng, contig, text, np.sort(drawn[: counts[0]]))
        indels = drawn[counts[0] : counts[0] + counts[1]]
        candidates += _indel_sites(rng, contig, text, np.sort(indels))
        complex_positions = drawn[counts[0] + counts[1] :]
        candidates += _complex_sites(rng, contig, text, np.sort(complex_positions))
        sites += _without_conflicts(candidates, text)
    return sites


def sample_genotypes(rng: np.random.Generator, pool: list[Site]) -> SampleVariants:
    """One sample's alleles at every pool site (Hardy-Weinberg); keeps non-reference sites."""
    total = np.array([sum(site.freqs) for site in pool])
    second = np.array([site.freqs[1] if len(site.alts) > 1 else 0.0 for site in pool])
    draws = rng.random((len(pool), 2))
    alleles = (draws >= 1 - total[:, None]).astype(np.int8) + (draws >= 1 - second[:, None])
    carried = np.flatnonzero(alleles.any(axis=1))
    return SampleVariants([pool[i] for i in carried], alleles[carried])


def haplotype(contig: Contig, variants: SampleVariants, which: int) -> np.ndarray:
    """The contig's sequence with the variants carried on haplotype `which` applied."""
    text = contig.sequence.tobytes()
    pieces, previous = [], 0
    for site, alleles in zip(variants.sites, variants.alleles, strict=True):
        allele = int(alleles[which])
        if site.contig != contig.name or allele == 0:
            continue
        pieces += [text[previous : site.pos0], site.alts[allele - 1]]
        previous = site.end
    pieces.append(text[previous:])
    return np.frombuffer(b"".join(pieces), dtype=np.uint8)


def truth_vcf_text(contigs: list[Contig], sample: str, variants: SampleVariants, seed: int) -> str:
    """The sample's planted variants as VCF: only the ALT alleles it carries, phased GT."""
    lines = [
        "##fileformat=VCFv4.2",
        f"##source=varnode simulate --seed {seed}",
        "##reference=reference.fa",
        *(f"##contig=<ID={c.name},length={len(c.sequence)}>" for c in contigs),
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype (phased: haplotype 1|2)">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
        ),
    ]
    for site, alleles in zip(variants.sites, variants.alleles, strict=True):
        present = sorted({int(a) for a in alleles if a})
        renumber = {0: 0, **{allele: i + 1 for i, allele in enumerate(present)}}
        alts = ",".join(site.alts[a - 1].decode() for a in present)
        genotype = "|".join(str(renumber[int(a)]) for a in alleles)
        fields = [site.contig, str(site.pos0 + 1), ".", site.ref.decode(), alts, ".", "PASS"]
        lines.append("\t".join([*fields, ".", "GT", genotype]))
    return "\n".join(lines) + "\n"
