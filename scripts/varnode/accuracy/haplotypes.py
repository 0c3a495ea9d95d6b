"""Haplotype-aware matching: two sets of variants agree when they spell the same sequence.

The same change can be written in several ways: an indel next to an SNV as one complex
record or as two, an MNP as one record or as adjacent SNVs, an indel in a repeat at
different places when one side was not left-aligned, a heterozygous 1/2 site as one
record or two. Position-and-allele matching counts each such difference as one false
positive plus one false negative. Like vcfeval and hap.py, we compare what the variants
do to the genome instead of how they are written:

1. Truth and calls (normalised, split to one ALT per record) are sorted together and cut
   into clusters: a variant joins the cluster when it starts within `gap` bp of the end
   of the cluster so far. Variants in different clusters cannot interact.
2. In each cluster holding both truth and calls, every way of placing each variant is
   enumerated: left out (an error), or on haplotype A, B or both. Genotype matching
   allows a heterozygous variant on A or B and a homozygous one on both; allele
   matching ignores zygosity and allows any of the three. Placements whose edits overlap
   on one haplotype are impossible and dropped (an indel's padding base is not part of
   its edit, so an SNV on that base can share the haplotype).
3. Each placement is replayed onto the reference sequence of the cluster's window
   (its variants' span plus one base either side), giving the pair of haplotype
   sequences {A, B}. Unordered pairs are compared, so calls need no phasing.
4. Among placements of the truth and of the calls that spell the same pair, the one
   including the most variants (truth plus calls) wins: its variants are true positives
   (truth found, calls right); the cluster's other truth variants are false negatives
   and its other calls false positives. The empty placement always agrees (both spell
   the reference), so a cluster can never do worse than all-wrong.

A cluster whose placements would exceed `max_placements` on one side (many variants
within a few bp, rare outside low-complexity sequence) falls back to simple matching;
the number of such clusters is reported.

Spanning-deletion (`*`) alleles spell nothing: as in vcfeval and hap.py, replaying one
leaves its haplotype unchanged, and the record's other allele (a `*,C` 1/2 record
splits into a heterozygous C) sits on the other haplotype, because the deletion that
covers the position cannot share a haplotype with it. A `*` asserts that deletion,
though: when the truth holds no deletion covering the position (also after sliding a
left-aligned deletion right through its repeat), the truth is incomplete there — the
record that spelled that haplotype is missing — and no placement can be judged. The
cluster around such a `*` is then unknown, like a region outside the confident BED:
its truth variants and calls count neither as found nor as errors, and are reported.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from varnode.accuracy.matching import Outcome, identity
from varnode.accuracy.variants import SpanningDeletion, Variant

HAPLOTYPE_A, HAPLOTYPE_B, BOTH = (True, False), (False, True), (True, True)


MAX_SLIDE = 1000  # bp a deletion is slid right through its repeat when looking for a `*`


@dataclass
class HaplotypeMatch:
    outcome: Outcome
    clusters: int
    fallback_clusters: int
    unknown_clusters: int = 0


def clusters(truth: list[Variant], calls: list[Variant], gap: int):
    """Yield (truth indices, call indices) of variants close enough to interact."""
    merged = sorted(
        [(v.chrom, v.pos0, v.end, 0, i) for i, v in enumerate(truth)]
        + [(v.chrom, v.pos0, v.end, 1, i) for i, v in enumerate(calls)]
    )
    current: tuple[list[int], list[int]] = ([], [])
    chrom, end = None, -1
    for var_chrom, start, var_end, side, index in merged:
        if var_chrom != chrom or start > end + gap:
            if current[0] or current[1]:
                yield current
            current, chrom, end = ([], []), var_chrom, var_end
        current[side].append(index)
        end = max(end, var_end)
    if current[0] or current[1]:
        yield current


def _placements(variant: Variant, genotype: bool) -> list[tuple[bool, bool] | None]:
    if not genotype:
        return [None, HAPLOTYPE_A, HAPLOTYPE_B, BOTH]
    return [None, BOTH] if variant.copies == 2 else [None, HAPLOTYPE_A, HAPLOTYPE_B]


def _edit(variant: Variant) -> tuple[int, int, str]:
    """(start, end, replacement) without the shared padding base of an indel, so that an
    SNV on that base and the indel can sit on one haplotype."""
    shared = 0
    while shared < min(len(variant.ref), len(variant.alt)) and (
        variant.ref[shared] == variant.alt[shared]
    ):
        shared += 1
    return variant.pos0 + shared, variant.end, variant.alt[shared:]


def _spell(window: str, start: int, variants: list[Variant]) -> str | None:
    """`window` (reference from `start`) with `variants` applied; None if they overlap."""
    pieces, previous = [], start
    for edit_start, edit_end, replacement in sorted(map(_edit, variants)):
        if edit_start < previous:
            return None
        pieces += [window[previous - start : edit_start - start], replacement]
        previous = edit_end
    pieces.append(window[previous - start :])
    return "".join(pieces)


def _spellings(variants, window, start, genotype) -> dict[tuple[str, str], tuple[int, tuple]]:
    """For every haplotype pair the variants can spell: (variants used, which ones)."""
    best: dict[tuple[str, str], tuple[int, tuple]] = {}
    options = [_placements(v, genotype) for v in variants]
    for choice in itertools.product(*options):
        on_a = [v for v, place in zip(variants, choice, strict=True) if place and place[0]]
        on_b = [v for v, place in zip(variants, choice, strict=True) if place and place[1]]
        spelled_a, spelled_b = _spell(window, start, on_a), _spell(window, start, on_b)
        if spelled_a is None or spelled_b is None:
            continue
        pair = (min(spelled_a, spelled_b), max(spelled_a, spelled_b))
        used = tuple(i for i, place in enumerate(choice) if place)
        if len(used) > best.get(pair, (-1,))[0]:
            best[pair] = (len(used), used)
    return best


def _placement_count(variants: list[Variant], genotype: bool) -> int:
    count = 1
    for variant in variants:
        count *= len(_placements(variant, genotype))
    return count


def _deleted_span(variant: Variant, fetch) -> tuple[int, int]:
    """Reference bases [start, end) a deletion may remove: its own, extended right as far
    as the deletion can slide in a repeat (bcftools norm left-aligns it, a `*` that it
    covers was written for the caller's placement)."""
    start, end, replacement = _edit(variant)
    if replacement or end - start >= MAX_SLIDE:
        return start, end
    length = end - start
    following = fetch(variant.chrom, start, end + MAX_SLIDE).upper()
    slid = 0
    while slid + length < len(following) and following[slid] == following[slid + length]:
        slid += 1
    return start, end + slid


def unresolved_spanning_deletions(
    markers: list[SpanningDeletion], variants: list[Variant], fetch
) -> list[SpanningDeletion]:
    """The `*` alleles no deletion among `variants` covers."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for variant in variants:
        if len(variant.ref) > len(variant.alt):
            spans.setdefault(variant.chrom, []).append(_deleted_span(variant, fetch))
    return [
        marker
        for marker in markers
        if not any(start <= marker.pos0 < end for start, end in spans.get(marker.chrom, []))
    ]


def match_haplotypes(
    truth: list[Variant],
    calls: list[Variant],
    fetch,
    genotype: bool,
    gap: int = 10,
    max_placements: int = 20_000,
    unknown: list[SpanningDeletion] = (),
) -> HaplotypeMatch:
    """`fetch(chrom, start, end)` returns reference sequence (0-based, end exclusive);
    clusters around the positions in `unknown` (see unresolved_spanning_deletions) are
    not judged."""
    truth_matched, query_matched = [False] * len(truth), [False] * len(calls)
    truth_unknown, query_unknown = [False] * len(truth), [False] * len(calls)
    total = fallbacks = unknown_clusters = 0
    # The `*` positions join the clustering as truth entries after the real variants.
    for truth_ids, call_ids in clusters([*truth, *unknown], calls, gap):
        if any(i >= len(truth) for i in truth_ids):
            unknown_clusters += 1
            for i in truth_ids:
                if i < len(truth):
                    truth_unknown[i] = True
            for i in call_ids:
                query_unknown[i] = True
            continue
        total += 1
        if not truth_ids or not call_ids:
            continue
        cluster_truth = [truth[i] for i in truth_ids]
        cluster_calls = [calls[i] for i in call_ids]
        simple_truth = {identity(v, genotype) for v in cluster_truth}
        simple_calls = {identity(v, genotype) for v in cluster_calls}
        too_many = (
            max(
                _placement_count(cluster_truth, genotype), _placement_count(cluster_calls, genotype)
            )
            > max_placements
        )
        if simple_truth == simple_calls or too_many:
            fallbacks += too_many
            for i in truth_ids:
                truth_matched[i] = identity(truth[i], genotype) in simple_calls
            for i in call_ids:
                query_matched[i] = identity(calls[i], genotype) in simple_truth
            continue
        chrom = cluster_truth[0].chrom
        start = max(0, min(v.pos0 for v in cluster_truth + cluster_calls) - 1)
        end = max(v.end for v in cluster_truth + cluster_calls) + 1
        window = fetch(chrom, start, end).upper()
        truth_spellings = _spellings(cluster_truth, window, start, genotype)
        call_spellings = _spellings(cluster_calls, window, start, genotype)
        shared = sorted(truth_spellings.keys() & call_spellings.keys())
        best = max(shared, key=lambda pair: truth_spellings[pair][0] + call_spellings[pair][0])
        for used in truth_spellings[best][1]:
            truth_matched[truth_ids[used]] = True
        for used in call_spellings[best][1]:
            query_matched[call_ids[used]] = True
    outcome = Outcome(truth_matched, query_matched, truth_unknown, query_unknown)
    return HaplotypeMatch(outcome, total, fallbacks, unknown_clusters)
