"""Simple matching: a call matches a truth variant with the same position and allele
(after both were normalised), and for genotype matching also the same zygosity."""

from __future__ import annotations

from dataclasses import dataclass

from varnode.accuracy.variants import Variant


@dataclass
class Outcome:
    """Which truth variants were found and which calls were right, index by index."""

    truth_matched: list[bool]
    query_matched: list[bool]


def identity(variant: Variant, genotype: bool) -> tuple:
    return (*variant.key, variant.copies) if genotype else variant.key


def match_alleles(truth: list[Variant], calls: list[Variant], genotype: bool) -> Outcome:
    truth_ids = {identity(v, genotype) for v in truth}
    call_ids = {identity(v, genotype) for v in calls}
    return Outcome(
        [identity(v, genotype) in call_ids for v in truth],
        [identity(v, genotype) in truth_ids for v in calls],
    )
