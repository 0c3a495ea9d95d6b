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
from varnode.federation.strata import TOTAL, Stratum, parse_tag, public_differences

CALLABLE_LABEL = "CALLABLE"
CALLABLE_SUFFIX = ".callable.bed.gz"
DEFAULT_PLOIDY = 2
# Bases read at once from every sample's callable file: 10 Mb is a few thousand intervals
# per sample, and about 300 index look-ups per sample for a human genome.
WINDOW = 10_000_000
UNKNOWN_LENGTH = 2**31 - 1  # a contig without a length in the header: up to BED's limit


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


def _parse_rows(rows: Iterator[str], path: Path) -> Iterator[tuple[str, int, int]]:
    for number, line in enumerate(rows, start=1):
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
        yield fields[0], start, end


def _as_array(rows: list[tuple[int, int]]) -> np.ndarray:
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 2)


class SampleIntervals:
    """One sample's callable intervals, read a window at a time.

    An indexed file (mosdepth writes a .csi) is read through its index, so memory holds
    one window of one sample, however many samples and intervals there are; a file
    without an index (small hand-made inputs) is read whole once.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.index = next(
            (f"{path}{ext}" for ext in (".csi", ".tbi") if Path(f"{path}{ext}").is_file()), None
        )
        self._whole: dict[str, np.ndarray] | None = None

    def _read_whole(self) -> dict[str, np.ndarray]:
        if self._whole is None:
            opener = gzip.open if str(self.path).endswith(".gz") else open
            rows: dict[str, list[tuple[int, int]]] = {}
            with opener(self.path, "rt") as handle:
                for contig, start, end in _parse_rows(handle, self.path):
                    rows.setdefault(contig, []).append((start, end))
            self._whole = {contig: _as_array(pairs) for contig, pairs in rows.items()}
        return self._whole

    def contigs(self) -> set[str]:
        if self.index:
            with pysam.TabixFile(str(self.path), index=self.index) as tabix:
                return set(tabix.contigs)
        return set(self._read_whole())

    def _fetch_indexed(self, pieces: list[tuple[str, int, int]]) -> list[np.ndarray]:
        with pysam.TabixFile(str(self.path), index=self.index) as tabix:
            known = set(tabix.contigs)
            return [
                _as_array(
                    [
                        (start, end)
                        # A base of margin each side: the index may take starts as 1-based.
                        for _, start, end in _parse_rows(
                            tabix.fetch(contig, max(0, lo - 1), hi + 1), self.path
                        )
                    ]
                    if contig in known
                    else []
                )
                for contig, lo, hi in pieces
            ]

    def fetch(self, pieces: list[tuple[str, int, int]]) -> list[np.ndarray]:
        """Intervals clipped to each (contig, start, end) piece, one (N, 2) array each."""
        if self.index:
            # mosdepth's index takes BED starts as 1-based: htslib warns at every start 0
            # (errors still print); _fetch_indexed's margin keeps boundary intervals in.
            verbosity = pysam.set_verbosity(1)
            try:
                arrays = self._fetch_indexed(pieces)
            finally:
                pysam.set_verbosity(verbosity)
        else:
            whole = self._read_whole()
            empty = np.zeros((0, 2), dtype=np.int64)
            arrays = [whole.get(contig, empty) for contig, _, _ in pieces]
        return [
            np.clip(array[(array[:, 1] > lo) & (array[:, 0] < hi)], lo, hi)
            for array, (_, lo, hi) in zip(arrays, pieces, strict=True)
        ]


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
    an: dict[Stratum, int]  # only the strata without a sex split when they were dropped


@dataclass
class RegionBatch:
    """Consecutive regions of one contig: 0-based [start, end), AN per stratum (-1 = dropped)."""

    chrom: str
    starts: np.ndarray
    ends: np.ndarray
    an: np.ndarray  # (regions, strata)

    def __len__(self) -> int:
        return len(self.starts)

    def regions(self, strata: list[Stratum]) -> list[CallableRegion]:
        return [
            CallableRegion(
                self.chrom,
                start,
                end,
                {s: value for s, value in zip(strata, row, strict=True) if value >= 0},
            )
            for start, end, row in zip(
                self.starts.tolist(), self.ends.tolist(), self.an.tolist(), strict=True
            )
        ]


def callable_regions(
    beds: Mapping[str, Path],
    sexes: Mapping[str, str],
    contigs: list[tuple[str, int | None]],
    rules: list[PloidyRule],
    strata: list[Stratum],
    floor: int,
) -> Iterator[RegionBatch]:
    """Maximal regions with the same callable AN per stratum, in `contigs` order.

    `contigs` are (name, length) as in the calls' header. The genome is read in windows
    of about WINDOW bp (small contigs share one), so memory is bounded by one window;
    regions are built, joined across window edges and floored as arrays.
    """
    missing = sorted(set(sexes) - set(beds))
    if missing:
        raise VarnodeError(f"no callable-regions file for samples: {', '.join(missing)}")
    sources = {sample: SampleIntervals(beds[sample]) for sample in sexes}
    names = {name for name, _ in contigs}
    for source in sources.values():
        unknown = sorted(source.contigs() - names)
        if unknown:
            raise VarnodeError(
                f"{source.path}: callable regions on contigs not in the calls: {', '.join(unknown)}"
            )
    pending: RegionBatch | None = None
    for pieces in _windows(contigs):
        fetched = {sample: source.fetch(pieces) for sample, source in sources.items()}
        for index, (contig, lo, hi) in enumerate(pieces):
            intervals = {sample: arrays[index] for sample, arrays in fetched.items()}
            batch = _piece_regions(contig, lo, hi, intervals, sexes, rules, strata)
            if not len(batch):
                continue
            if (
                pending is not None
                and pending.chrom == batch.chrom
                and pending.ends[-1] == batch.starts[0]
                and np.array_equal(pending.an[-1], batch.an[0])
            ):  # one region across a window edge
                pending.ends[-1] = batch.ends[0]
                batch = RegionBatch(batch.chrom, batch.starts[1:], batch.ends[1:], batch.an[1:])
                if not len(batch):
                    continue
            if pending is not None:
                yield _floored(pending, strata, floor)
            pending = batch
    if pending is not None:
        yield _floored(pending, strata, floor)


def _windows(contigs: list[tuple[str, int | None]]) -> Iterator[list[tuple[str, int, int]]]:
    """Groups of (contig, start, end) pieces of about WINDOW bp in total."""
    group: list[tuple[str, int, int]] = []
    size = 0
    for name, length in contigs:
        length = length or UNKNOWN_LENGTH
        for start in range(0, length, WINDOW):
            end = min(length, start + WINDOW)
            group.append((name, start, end))
            size += end - start
            if size >= WINDOW:
                yield group
                group, size = [], 0
    if group:
        yield group


def _piece_regions(contig, lo, hi, intervals, sexes, rules, strata) -> RegionBatch:
    """Regions of one piece with the same callable AN per stratum (AN > 0 only)."""
    intervals = {s: array for s, array in intervals.items() if len(array)}
    if not intervals:
        none = np.zeros(0, dtype=np.int64)
        return RegionBatch(contig, none, none, np.zeros((0, len(strata)), dtype=np.int64))
    edges = [array.ravel() for array in intervals.values()]
    edges += [
        np.array([rule.start - 1, rule.end], dtype=np.int64)
        for rule in rules
        if rule.contig == contig
    ]
    points = np.unique(np.concatenate(edges))
    points = points[(points >= lo) & (points <= max(a[:, 1].max() for a in intervals.values()))]
    starts = points[:-1]
    an = np.zeros((len(starts), len(strata)), dtype=np.int64)
    for sex in sorted(set(sexes.values())):
        callable_samples = np.zeros(len(points), dtype=np.int64)
        for sample, array in intervals.items():
            if sexes[sample] == sex:
                np.add.at(callable_samples, np.searchsorted(points, array[:, 0]), 1)
                np.add.at(callable_samples, np.searchsorted(points, array[:, 1]), -1)
        alleles = np.cumsum(callable_samples)[:-1] * _ploidy(rules, contig, sex, starts)
        for column, stratum in enumerate(strata):
            if stratum.sex in ("", sex):
                an[:, column] += alleles
    # A region ends where any stratum's AN changes; regions nobody covers are dropped.
    change = np.ones(len(starts), dtype=bool)
    change[1:] = np.any(an[1:] != an[:-1], axis=1)
    firsts = np.flatnonzero(change)
    ends = points[np.append(firsts[1:], len(starts))]
    kept = an[firsts, strata.index(TOTAL)] > 0
    return RegionBatch(contig, starts[firsts][kept], ends[kept], an[firsts][kept])


def _floored(batch: RegionBatch, strata: list[Stratum], floor: int) -> RegionBatch:
    """The regions as published: left out under the floor (as a site with AC = 0 would be),
    their sex strata dropped (-1) where a stratum or a difference of strata is under it."""
    column = {stratum: index for index, stratum in enumerate(strata)}
    an = batch.an.copy()
    kept = ~_below(an[:, column[TOTAL]], floor)
    failing = np.zeros(len(an), dtype=bool)
    for stratum in strata:
        failing |= _below(an[:, column[stratum]], floor)
    for parent, group in public_differences(frozenset(strata)):
        rest = an[:, column[parent]] - sum(an[:, column[part]] for part in group)
        failing |= _below(rest, floor)
    for stratum in strata:
        if stratum.sex:
            an[failing, column[stratum]] = -1
    return RegionBatch(batch.chrom, batch.starts[kept], batch.ends[kept], an[kept])


def _below(an: np.ndarray, floor: int) -> np.ndarray:
    """below_floor(0, AN) for an array: 0 < AN < floor."""
    return (an > 0) & (an < floor)


def write_callable(path: Path, strata: list[Stratum], batches: Iterator[RegionBatch]) -> int:
    """bgzipped BED (+ .tbi): chrom, start, end, then AN of each stratum ('.' = withheld)."""
    tags = [stratum.tag("AN") for stratum in strata]
    written = 0
    with pysam.BGZFile(str(path), "wb") as out:
        out.write(("#CHROM\tSTART\tEND\t" + "\t".join(tags) + "\n").encode())
        for batch in batches:
            columns = [batch.starts.astype(str), batch.ends.astype(str)] + [
                np.where(values >= 0, values.astype(str), ".") for values in batch.an.T
            ]
            prefix = f"{batch.chrom}\t"
            lines = (prefix + "\t".join(row) + "\n" for row in zip(*columns, strict=True))
            out.write("".join(lines).encode())
            written += len(batch)
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
