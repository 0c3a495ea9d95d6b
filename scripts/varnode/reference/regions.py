"""Region shards: the genome cut into a configured number of BED files of equal length.

Calling is scattered over a fixed number of region groups (config `calling.scatter`,
the cohort's `cohort.scatter`), so the job count per sample does not grow with the
genome: the (target-restricted) genome is cut into that many parts of equal length,
long contigs cut where a part is full, short ones (alts, decoys, unplaced scaffolds, of
which GRCh38 has thousands) packed together.

The plan is a pure function of (.fai, targets, count), computed when the workflow is
parsed (`plan_shards`), so every job is known from the start: no checkpoint, whose
re-evaluation makes Snakemake skip its incomplete-output checks on resume.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from varnode.common.atomic import write_text_atomic
from varnode.common.fai import read_fai
from varnode.errors import VarnodeError

Interval = tuple[str, int, int]  # contig, 0-based start, end (BED)


def read_bed(bed: str | Path) -> list[Interval]:
    intervals = []
    with open(bed) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.split("\t")
            try:
                contig, start, end = fields[0], int(fields[1]), int(fields[2])
            except (IndexError, ValueError):
                raise VarnodeError(f"{bed} line {number}: expected contig, start, end") from None
            if end <= start:
                raise VarnodeError(f"{bed} line {number}: end {end} is not after start {start}")
            intervals.append((contig, start, end))
    return intervals


def shard(intervals: list[Interval], size: int) -> list[list[Interval]]:
    """Cut and pack `intervals` (in reference order) into shards of about `size` bp."""
    shards: list[list[Interval]] = []
    current: list[Interval] = []
    filled = 0
    for name, start, stop in intervals:
        while start < stop:
            end = min(stop, start + size - filled)
            current.append((name, start, end))
            filled += end - start
            start = end
            if filled >= size:
                shards.append(current)
                current, filled = [], 0
    if current:
        shards.append(current)
    return shards


def restrict(contigs: list[tuple[str, int]], targets: list[Interval]) -> list[Interval]:
    """The target intervals on the reference's contigs, merged, in reference order."""
    by_contig: dict[str, list[tuple[int, int]]] = {}
    for contig, start, end in sorted(targets):
        merged = by_contig.setdefault(contig, [])
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [
        (name, max(start, 0), min(end, length))
        for name, length in contigs
        for start, end in by_contig.get(name, ())
        if start < length
    ]


def plan_shards(fai: str | Path, targets: str | Path | None, count: int) -> list[list[Interval]]:
    """`count` shards of equal length covering the reference (its .fai), or the targets.

    Fewer when the regions are shorter than `count` bp."""
    if count < 1:
        raise VarnodeError(f"scatter count must be positive, got {count}")
    contigs = read_fai(fai)
    intervals = [(name, 0, length) for name, length in contigs]
    if targets:
        intervals = restrict(contigs, read_bed(targets))
        if not intervals:
            raise VarnodeError(f"{targets}: no target overlaps the reference contigs")
    total = sum(end - start for _, start, end in intervals)
    return shard(intervals, max(1, -(-total // count)))


def shard_names(count: int) -> list[str]:
    width = max(4, len(str(count)))
    return [f"shard{number:0{width}d}" for number in range(1, count + 1)]


def write_shards(shards: list[list[Interval]], outdir: str | Path) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, intervals in zip(shard_names(len(shards)), shards, strict=True):
        path = outdir / f"{name}.bed"
        write_text_atomic(path, "".join(f"{c}\t{s}\t{e}\n" for c, s, e in intervals))
        paths.append(path)
    return paths


def contig_index(fasta: str | Path, cache: str | Path) -> Path:
    """A .fai of `fasta` that is not older than it: the user's own, else one built in `cache`.

    The cached index is named after the FASTA's real path, so pointing the config at
    another reference never reuses the old one's index.
    """
    fasta = Path(fasta)
    if not fasta.is_file():
        raise VarnodeError(f"reference FASTA {fasta}: file not found")
    modified = fasta.stat().st_mtime
    own = Path(f"{fasta}.fai")
    if own.is_file() and own.stat().st_mtime >= modified:
        return own
    key = hashlib.sha1(str(fasta.resolve()).encode()).hexdigest()[:12]
    cached = Path(cache) / f"{fasta.name}.{key}.fai"
    if cached.is_file() and cached.stat().st_mtime >= modified:
        return cached
    import pysam

    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".partial.{cached.name}.{os.getpid()}")
    # A bgzip FASTA also needs a .gzi: written beside the partial .fai, not the user's file.
    gzi = partial.with_name(f"{partial.name}.gzi")
    try:
        pysam.faidx(str(fasta), "--fai-idx", str(partial), "--gzi-idx", str(gzi))
        os.replace(partial, cached)
    except pysam.SamtoolsError as error:
        raise VarnodeError(f"reference FASTA {fasta}: cannot be indexed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
        gzi.unlink(missing_ok=True)
    return cached


def configure(parser) -> None:
    parser.add_argument("fai", help="reference .fai index")
    parser.add_argument(
        "-o", "--output", dest="outdir", required=True, help="folder for shardNNNN.bed files"
    )
    parser.add_argument("--scatter", type=int, required=True, help="number of shards")
    parser.add_argument("--targets", default="", help="optional BED to restrict shards to")


def run(args) -> int:
    paths = write_shards(plan_shards(args.fai, args.targets, args.scatter), args.outdir)
    print(f"{len(paths)} shards written to {args.outdir}")
    return 0
