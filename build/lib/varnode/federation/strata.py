"""Population strata, their INFO tag names, and the allele-count floor.

Tag names follow what European genomic data infrastructure ingesters accept: the first
token is AF, AC or AN; then an optional upper-case two-letter country; then an optional
sex, M or F; then, on AC only, Hom, Het or Hemi. `AC_Hom`, `AN_F`, `AC_FI_F_Het`, `AF_FI`.

A stratum is (country, sex), each "" when absent; ("", "") is the whole cohort. The
floor rule is one function used by the node export, the hub merge and the egress check,
so the three cannot disagree about what is publishable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import NamedTuple

COUNT_TOKENS = ("AC", "AN", "AF")
ZYGOSITIES = ("Hom", "Het", "Hemi")
SEXES = ("F", "M")
TAG_PATTERN = re.compile(
    r"^(?P<token>AC|AN|AF)(?:_(?P<country>[A-Z]{2}))?(?:_(?P<sex>[MF]))?"
    r"(?:_(?P<zygosity>Hom|Het|Hemi))?$"
)
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")


class Stratum(NamedTuple):
    """(country, sex); a tuple, so that hashing it per site costs next to nothing."""

    country: str = ""
    sex: str = ""

    @functools.cache  # noqa: B019 (a few strata, each hashable and immortal)
    def tag(self, token: str, zygosity: str = "") -> str:
        """INFO tag of this stratum, e.g. Stratum("FI", "F").tag("AC", "Hom") = AC_FI_F_Hom."""
        if zygosity and token != "AC":
            raise ValueError(f"{token}: only AC carries a zygosity")
        return "_".join(part for part in (token, self.country, self.sex, zygosity) if part)

    @property
    def label(self) -> str:
        """POPULATION value in Parquet: the tag suffix, or ALL for the whole cohort."""
        return "_".join(part for part in (self.country, self.sex) if part) or "ALL"

    @property
    def parent(self) -> Stratum | None:
        """The stratum this one is a part of: sex within country, country within all."""
        if self.sex:
            return Stratum(self.country, "")
        if self.country:
            return Stratum()
        return None


TOTAL = Stratum()
# (parent, parts): anyone can compute parent - sum(parts) from published strata.
Difference = tuple[Stratum, tuple[Stratum, ...]]


@functools.cache
def parse_tag(tag: str) -> tuple[str, Stratum, str] | None:
    """(token, stratum, zygosity) of a count tag, None for any other name."""
    match = TAG_PATTERN.match(tag)
    if not match or (match["zygosity"] and match["token"] != "AC"):
        return None
    stratum = Stratum(match["country"] or "", match["sex"] or "")
    return match["token"], stratum, match["zygosity"] or ""


def node_strata(country: str, sex_strata: bool) -> list[Stratum]:
    """Strata a node exports: the total, its country (if set), and sexes within it."""
    if country and not COUNTRY_PATTERN.match(country):
        raise ValueError(f"country {country!r}: use a two-letter upper-case code such as FI")
    strata = [TOTAL]
    if country:
        strata.append(Stratum(country))
    if sex_strata:
        strata += [Stratum(country, sex) for sex in SEXES]
    return strata


def below_floor(ac: int, an: int, floor: int) -> bool:
    """True when a count could single out a few people: 0 < AC < floor or 0 < AN-AC < floor.

    Both tails: a rare allele (few carriers) and a near-fixed one (few non-carriers) are
    equally identifying. AC = 0 is no carrier at all and is not withheld by itself.
    """
    return 0 < ac < floor or 0 < an - ac < floor


def strata_publishable(counts: Mapping[Stratum, tuple[int, int]], floor: int) -> bool:
    """Whether every stratum, and what subtraction would reveal, clears the floor.

    `counts` maps each stratum to (AC, AN). Besides each stratum itself, the remainder of
    every parent once its published parts are taken away is checked: it is what anyone
    can compute (e.g. total - F - M = the samples of unknown sex), so it must clear the
    floor too.
    """
    if any(below_floor(ac, an, floor) for ac, an in counts.values()):
        return False
    for parent, group in public_differences(frozenset(counts)):
        ac = counts[parent][0] - sum(counts[part][0] for part in group)
        an = counts[parent][1] - sum(counts[part][1] for part in group)
        if below_floor(ac, an, floor):
            return False
    return True


@functools.cache
def public_differences(
    strata: frozenset[Stratum],
) -> tuple[tuple[Stratum, tuple[Stratum, ...]], ...]:
    """(parent, parts) pairs whose difference is public: a parent's sexes, and its countries.

    Computed once per set of strata (a run has very few), not once per site.
    """
    children: dict[Stratum, list[Stratum]] = {}
    for stratum in sorted(strata):
        if stratum.parent is not None and stratum.parent in strata:
            children.setdefault(stratum.parent, []).append(stratum)
    return tuple(
        (parent, tuple(group))
        for parent, parts in children.items()
        for group in ([p for p in parts if p.sex], [p for p in parts if not p.sex])
        if group
    )
