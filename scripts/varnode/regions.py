"""Region shards: the genome cut into BED files of about equal size for scattered calling.

Long contigs are cut into windows; short ones (alts, decoys, unplaced scaffolds, of
which GRCh38 has thousands) are packed together so the shard count stays near
genome size / shard size instead of one job per tiny contig.
"""

from __future__ import annotations

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


def write_shards(shards: list[list[Interval]], outdir: str | Path) -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(shards))))
    paths = []
    for number, intervals in enumerate(shards, start=1):
        path = outdir / f"shard{number:0{width}d}.bed"
        write_text_atomic(path, "".join(f"{c}\t{s}\t{e}\n" for c, s, e in intervals))
        paths.append(path)
    return paths


def configure(parser) -> None:
    parser.add_argument("fai", help="reference .fai index")
    parser.add_argument("outdir", help="folder for shardNNNN.bed files")
    parser.add_argument("--size", type=int, default=10_000_000, help="shard size in bp")
    parser.add_argument("--targets", default="", help="optional BED to restrict shards to")


def run(args) -> int:
    if args.size < 1:
        raise VarnodeError(f"--size must be positive, got {args.size}")
    shards = shard(read_fai(args.fai), args.size)
    if args.targets:
        shards = restrict(shards, read_bed(args.targets))
        if not shards:
            raise VarnodeError(f"{args.targets}: no target overlaps the reference contigs")
    paths = write_shards(shards, args.outdir)
    print(f"{len(paths)} shards written to {args.outdir}")
    return 0
