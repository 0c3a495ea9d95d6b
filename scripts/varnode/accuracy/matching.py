"""Simple matching: a call matches a truth variant with the same position and allele
(after both were normalised), and for genotype matching also the same zygosity."""

from __future__ import annotations

from dataclasses import dataclass, field

from varnode.accuracy.variants import Variant


@dataclass
class Outcome:
    """Which truth variants were found and which calls were right, index by index; those
    marked unknown lie where the truth is incomplete and count neither way."""

    truth_matched: list[bool]
    query_matched: list[bool]
    truth_unknown: list[bool] = field(default_factory=list)
    query_unknown: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.truth_unknown = self.truth_unknown or [False] * len(self.truth_matched)
        self.query_unknown = self.query_unknown or [False] * len(self.query_matched)


def identity(variant: Variant, genotype: bool) -> tuple:
    return (*variant.key, variant.copies) if genotype else variant.key


def match_alleles(
    truth: list[Variant], calls: list[Variant], genotype: bool, unknown: Outcome | None = None
) -> Outcome:
    """`unknown` (from haplotype matching) marks the variants no match can judge."""
    truth_ids = {identity(v, genotype) for v in truth}
    call_ids = {identity(v, genotype) for v in calls}
    return Outcome(
        [identity(v, genotype) in call_ids for v in truth],
        [identity(v, genotype) in truth_ids for v in calls],
        list(unknown.truth_unknown) if unknown else [],
        list(unknown.query_unknown) if unknown else [],
    )
