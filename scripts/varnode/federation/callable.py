"""Callable regions: where a node could have called a variant, and how many alleles it had.

Without them a hub cannot tell "not called" from "absent": at a site one node did not
report, it may add that node's callable AN (as AC = 0) only where the node's samples were
callable. Input is one BED per sample of its callable intervals (mosdepth --quantize with
the configured minimum depth; rows labelled CALLABLE, or 3-column rows); output is one
bgzipped, tabix-indexed BED of maximal regions with the callable AN of every exported
stratum. AN per sample follows the ploidy the calls were made with (bcftools call
--ploidy presets: e.g. males have one X allele outside the PARs), so callable AN and the
AN of called sites count the same thing.

The floor applies as to a site with AC = 0: a region whose AN is below the floor is left
out (the hub treats it as not callable), and its strata are dropped ('.') when a stratum
or what subtraction reveals is below it.
"""

from __future__ import annotations

import gzip
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from varnode.errors import VarnodeError
from varnode.federation.strata import (
    TOTAL,
    Stratum,
    below_floor,
    parse_tag,
    strata_publishable,
)

CALLABLE_LABEL = "CALLABLE"
CALLABLE_SUFFIX = ".callable.bed.gz"
DEFAULT_PLOIDY = 2


@dataclass(frozen=True)
class PloidyRule:
    """bcftools ploidy line: 1-based inclusive region (contig '*' = any), sex, ploidy."""

    contig: str
    start: int
    end: int
    sex: str
    ploidy: int


def ploidy_rules(preset: str) -> list[PloidyRule]:
    """The rules of a bcftools call --ploidy preset (e.g. GRCh38), [] for "" (diploid)."""
    if not preset:
        return []
    result = subprocess.run(
        ["bcftools", "call", "--ploidy", f"{preset}?"], capture_output=True, text=True
    )
    rules = []
    for line in (result.stdout + result.stderr).splitlines():
        fields = line.split()
        if len(fields) != 5 or fields[0].startswith("#"):
            continue
        contig, start, end, sex, ploidy = fields
        rules.append(
            PloidyRule(
                contig,
                0 if start == "*" else int(start),
                2**62 if end == "*" else int(end),
                sex,
                int(ploidy),
            )
        )
    if not rules:
        raise VarnodeError(f"bcftools knows no ploidy preset {preset!r}")
    return rules


def read_sample_bed(path: Path) -> dict[str, np.ndarray]:
    """Callable intervals of one sample: contig -> (N, 2) int64 array of 0-based [start, end)."""
    intervals: dict[str, list[tuple[int, int]]] = {}
    with gzip.open(path, "rt") if str(path).endswith(".gz") else open(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) > 3 and fields[3] != CALLABLE_LABEL:
                continue
            try:
                start, end = int(fields[1]), int(fields[2])
            except (IndexError, ValueError):
                raise VarnodeError(f"{path} line {number}: expected chrom, start, end") from None
            if end < start:
                raise VarnodeError(f"{path} line {number}: end {end} before start {start}")
            intervals.setdefault(fields[0], []).append((start, end))
    return {
        contig: np.array(sorted(rows), dtype=np.int64).reshape(-1, 2)
        for contig, rows in intervals.items()
    }


def _ploidy(rules: list[PloidyRule], contig: str, sex: str, starts: np.ndarray) -> np.ndarray:
    """Ploidy of a sex at each segment start (0-based); later specific rules win, as in bcftools."""
    ploidy = np.full(len(starts), DEFAULT_PLOIDY, dtype=np.int64)
    for rule in rules:
        if rule.contig == "*" and rule.sex == sex:
            ploidy[:] = rule.ploidy
    for rule in rules:
        if rule.contig == contig and rule.sex == sex:
            inside = (starts >= rule.start - 1) & (starts < rule.end)
            ploidy[inside] = rule.ploidy
    return ploidy


@dataclass
class CallableRegion:
    chrom: str
    start: int
    end: int
    an: dict[Stratum, int]  # only TOTAL when the strata were dropped


def callable_regions(
    beds: Mapping[str, Path],
    sexes: Mapping[str, str],
    contigs: list[str],
    rules: list[PloidyRule],
    strata: list[Stratum],
    floor: int,
) -> Iterator[CallableRegion]:
    """Maximal regions with the same callable AN per stratum, in `contigs` order."""
    missing = sorted(set(sexes) - set(beds))
    if missing:
        raise VarnodeError(f"no callable-regions file for samples: {', '.join(missing)}")
    per_sample = {sample: read_sample_bed(beds[sample]) for sample in sexes}
    unknown = sorted({c for bed in per_sample.values() for c in bed} - set(contigs))
    if unknown:
        raise VarnodeError(f"callable regions on contigs not in the calls: {', '.join(unknown)}")
    for contig in contigs:
        yield from _contig_regions(contig, per_sample, sexes, rules, strata, floor)


def _contig_regions(contig, per_sample, sexes, rules, strata, floor) -> Iterator[CallableRegion]:
    intervals = {s: bed[contig] for s, bed in per_sample.items() if contig in bed}
    if not intervals:
        return
    edges = [array.ravel() for array in intervals.values()]
    edges += [
        np.array([rule.start - 1, rule.end], dtype=np.int64)
        for rule in rules
        if rule.contig == contig
    ]
    points = np.unique(np.concatenate(edges))
    points = points[(points >= 0) & (points <= max(a[:, 1].max() for a in intervals.values()))]
    starts = points[:-1]
    an = {stratum: np.zeros(len(starts), dtype=np.int64) for stratum in strata}
    for sex in sorted(set(sexes.values())):
        callable_samples = np.zeros(len(points), dtype=np.int64)
        for sample, array in intervals.items():
            if sexes[sample] == sex:
                np.add.at(callable_samples, np.searchsorted(points, array[:, 0]), 1)
                np.add.at(callable_samples, np.searchsorted(points, array[:, 1]), -1)
        alleles = np.cumsum(callable_samples)[:-1] * _ploidy(rules, contig, sex, starts)
        for stratum in strata:
            if stratum.sex in ("", sex):
                an[stratum] += alleles
    values = np.stack([an[stratum] for stratum in strata], axis=1)
    # A region ends where any stratum's AN changes.
    change = np.ones(len(starts), dtype=bool)
    change[1:] = np.any(values[1:] != values[:-1], axis=1)
    firsts = np.flatnonzero(change)
    lasts = np.append(firsts[1:], len(starts)) - 1
    for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
        region_an = dict(zip(strata, values[first].tolist(), strict=True))
        if region_an[TOTAL] == 0 or below_floor(0, region_an[TOTAL], floor):
            continue
        if not strata_publishable({s: (0, n) for s, n in region_an.items()}, floor):
            region_an = {s: n for s, n in region_an.items() if not s.sex}
        yield CallableRegion(contig, int(starts[first]), int(points[last + 1]), region_an)


def write_callable(path: Path, strata: list[Stratum], regions: Iterator[CallableRegion]) -> int:
    """bgzipped BED (+ .tbi): chrom, start, end, then AN of each stratum ('.' = withheld)."""
    tags = [stratum.tag("AN") for stratum in strata]
    written = 0
    with pysam.BGZFile(str(path), "wb") as out:
        out.write(("#CHROM\tSTART\tEND\t" + "\t".join(tags) + "\n").encode())
        for region in regions:
            values = [str(region.an[s]) if s in region.an else "." for s in strata]
            fields = [region.chrom, str(region.start), str(region.end), *values]
            out.write(("\t".join(fields) + "\n").encode())
            written += 1
    pysam.tabix_index(
        str(path),
        seq_col=0,
        start_col=1,
        end_col=2,
        zerobased=True,
        meta_char="#",
        index=f"{path}.tbi",
        force=True,
    )
    return written


@dataclass
class CallableIndex:
    """A node's callable regions for lookups: per contig, sorted starts/ends and AN columns."""

    strata: list[Stratum]
    regions: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # starts, ends, (N, strata)

    def an_at(self, chrom: str, pos: int) -> dict[Stratum, int] | None:
        """Callable AN per stratum at a 1-based position (strata dropped there are absent)."""
        if chrom not in self.regions:
            return None
        starts, ends, values = self.regions[chrom]
        index = int(np.searchsorted(starts, pos - 1, side="right")) - 1
        if index < 0 or pos - 1 >= ends[index]:
            return None
        return {s: int(v) for s, v in zip(self.strata, values[index], strict=True) if v >= 0}


def read_callable(path: Path) -> CallableIndex:
    """Read a callable-regions file written by write_callable."""
    with gzip.open(path, "rt") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        parsed = [parse_tag(tag) for tag in header[3:]]
        if header[:3] != ["#CHROM", "START", "END"] or any(
            p is None or p[0] != "AN" for p in parsed
        ):
            raise VarnodeError(f"{path} line 1: not a callable-regions header: {header}")
        strata = [p[1] for p in parsed]
        rows: dict[str, list[list[int]]] = {}
        for number, line in enumerate(handle, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != len(header):
                raise VarnodeError(f"{path} line {number}: expected {len(header)} columns")
            rows.setdefault(fields[0], []).append(
                [int(fields[1]), int(fields[2])] + [-1 if v == "." else int(v) for v in fields[3:]]
            )
    regions = {}
    for contig, table in rows.items():
        array = np.array(sorted(table), dtype=np.int64)
        regions[contig] = (array[:, 0], array[:, 1], array[:, 2:])
    return CallableIndex(strata, regions)
