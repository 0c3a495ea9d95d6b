"""Region shards: the genome cut into BED files of about equal size for scattered calling.

Long contigs are cut into windows; short ones (alts, decoys, unplaced scaffolds, of
which GRCh38 has thousands) are packed together so the shard count stays near
genome size / shard size instead of one job per tiny contig.

The plan is a pure function of (.fai, targets, size), computed when the workflow is
parsed (`plan_shards`), so every job is known from the start: no checkpoint, whose
re-evaluation makes Snakemake skip its incomplete-output checks on resume.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from varnode.atomic import write_text_atomic
from varnode.errors import VarnodeError

Interval = tuple[str, int, int]  # contig, 0-based start, end (BED)


def read_fai(fai: str | Path) -> list[tuple[str, int]]:
    contigs = []
    with open(fai) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 or not fields[1].isdigit():
                raise VarnodeError(f"{fai} line {number}: not a .fai line (name<TAB>length...)")
            contigs.append((fields[0], int(fields[1])))
    return contigs


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


def shard(contigs: list[tuple[str, int]], size: int) -> list[list[Interval]]:
    """Cut and pack `contigs` (in reference order) into shards of about `size` bp."""
    shards: list[list[Interval]] = []
    current: list[Interval] = []
    filled = 0
    for name, length in contigs:
        start = 0
        while start < length:
            end = min(length, start + size - filled)
            current.append((name, start, end))
            filled += end - start
            start = end
            if filled >= size:
                shards.append(current)
                current, filled = [], 0
    if current:
        shards.append(current)
    return shards


def restrict(shards: list[list[Interval]], targets: list[Interval]) -> list[list[Interval]]:
    """Intersect each shard with target regions; shards left empty are dropped."""
    by_contig: dict[str, list[tuple[int, int]]] = {}
    for contig, start, end in sorted(targets):
        by_contig.setdefault(contig, []).append((start, end))
    restricted = []
    for intervals in shards:
        kept = [
            (contig, max(start, t_start), min(end, t_end))
            for contig, start, end in intervals
            for t_start, t_end in by_contig.get(contig, ())
            if t_start < end and t_end > start
        ]
        if kept:
            restricted.append(kept)
    return restricted


def plan_shards(fai: str | Path, targets: str | Path | None, size: int) -> list[list[Interval]]:
    """The shards of a reference (its .fai), restricted to an optional target BED."""
    if size < 1:
        raise VarnodeError(f"shard size must be positive, got {size}")
    shards = shard(read_fai(fai), size)
    if targets:
        shards = restrict(shards, read_bed(targets))
        if not shards:
            raise VarnodeError(f"{targets}: no target overlaps the reference contigs")
    return shards


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
    parser.add_argument("outdir", help="folder for shardNNNN.bed files")
    parser.add_argument("--size", type=int, default=10_000_000, help="shard size in bp")
    parser.add_argument("--targets", default="", help="optional BED to restrict shards to")


def run(args) -> int:
    paths = write_shards(plan_shards(args.fai, args.targets, args.size), args.outdir)
    print(f"{len(paths)} shards written to {args.outdir}")
    return 0
