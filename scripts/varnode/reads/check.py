"""`varnode check-reads`: a unit's FASTQ pair read to its end before any work uses it.

Checks: the gzip stream is complete and uncorrupted (gzip's own CRC and length check),
every record has four lines (an '@' header, the sequence, a '+' line, qualities as long
as the sequence), the file does not end inside a record, both files hold the same
number of records, and their first and last records are mates (same read name).
fastp, which trims next, logs a truncated or broken input and still exits 0 with the
reads it managed to read.

Speed matters: a whole-genome unit is ~100 GB of gzip. Decompression runs in a separate
`pigz -dc`/`gzip -dc` process (a second core), and records are checked in blocks with
slices and C-level `map` rather than a Python loop per line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from itertools import repeat
from pathlib import Path

from varnode.common.atomic import write_text_atomic
from varnode.errors import VarnodeError
from varnode.inputs.file_checks import compression

BLOCK_SIZE = 1 << 22


@dataclass
class FastqSummary:
    path: str
    records: int = 0
    bases: int = 0
    first_name: str = ""
    last_name: str = ""


def _decompressed_blocks(path: Path) -> Iterator[bytes]:
    """The file's bytes, decompressed by pigz/gzip when gzipped; VarnodeError on a
    truncated or corrupt stream."""
    if compression(path) == "none":
        with path.open("rb") as handle:
            while block := handle.read(BLOCK_SIZE):
                yield block
        return
    tool = shutil.which("pigz") or "gzip"
    process = subprocess.Popen(
        [tool, "-dc", "--", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        while block := process.stdout.read(BLOCK_SIZE):
            yield block
    finally:
        process.stdout.close()
        error = process.stderr.read().decode(errors="replace").strip()
        process.stderr.close()
        status = process.wait()
    if status != 0:
        reason = error.splitlines()[-1] if error else f"{Path(tool).name} exit {status}"
        raise VarnodeError(f"{path}: gzip stream is truncated or corrupt ({reason})")


def read_name(header: bytes) -> str:
    """The read name mates share: the header's first word without a /1 or /2 suffix."""
    name = header[1:].split(None, 1)[0] if header[1:].strip() else b""
    if name[-2:] in (b"/1", b"/2"):
        name = name[:-2]
    return name.decode(errors="replace")


def _check_records(path: Path, lines: list[bytes], first_record: int) -> None:
    """VarnodeError naming the first malformed record of `lines` (a multiple of 4)."""
    headers, sequences, separators, qualities = (lines[i::4] for i in range(4))
    good = (
        all(map(bytes.startswith, headers, repeat(b"@")))
        and all(map(bytes.startswith, separators, repeat(b"+")))
        and list(map(len, sequences)) == list(map(len, qualities))
    )
    if good:
        return
    for index, (header, sequence, separator, quality) in enumerate(
        zip(headers, sequences, separators, qualities, strict=True)
    ):
        record = first_record + index
        where = f"{path}: record {record} (line {4 * (record - 1) + 1})"
        if not header.startswith(b"@"):
            raise VarnodeError(f"{where}: header does not start with '@': {header[:60]!r}")
        if not separator.startswith(b"+"):
            raise VarnodeError(f"{where}: third line does not start with '+': {separator[:60]!r}")
        if len(sequence) != len(quality):
            raise VarnodeError(
                f"{where}: sequence has {len(sequence)} bases but quality {len(quality)} values"
            )


def check_fastq(path: str | Path) -> FastqSummary:
    """Read one FASTQ to its end; VarnodeError names the file and the first bad record."""
    path = Path(path)
    summary = FastqSummary(str(path))
    carry = b""
    for block in _decompressed_blocks(path):
        lines = (carry + block).split(b"\n")
        usable = (len(lines) - 1) // 4 * 4  # the last piece may be an unfinished line
        carry = b"\n".join(lines[usable:])
        _summarise(path, summary, lines[:usable])
    tail = carry.split(b"\n")
    while tail and tail[-1] == b"":
        tail.pop()  # the file's final newline (and any blank lines after it)
    if len(tail) % 4:
        raise VarnodeError(
            f"{path}: ends inside record {summary.records + 1} ({len(tail) % 4} of its 4 "
            "lines): the file is truncated"
        )
    _summarise(path, summary, tail)
    if not summary.records:
        raise VarnodeError(f"{path}: no reads")
    return summary


def _summarise(path: Path, summary: FastqSummary, lines: list[bytes]) -> None:
    if not lines:
        return
    _check_records(path, lines, summary.records + 1)
    if not summary.records:
        summary.first_name = read_name(lines[0])
    summary.last_name = read_name(lines[-4])
    summary.records += len(lines) // 4
    summary.bases += sum(map(len, lines[1::4]))


def check_pair(r1: str | Path, r2: str | Path) -> dict:
    """Both mates' summaries; VarnodeError when they differ in count or read names."""
    # Two threads: while one waits on its decompressor's pipe, the other parses.
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(check_fastq, (r1, r2))
    if first.records != second.records:
        raise VarnodeError(
            f"{r1} has {first.records} reads but its mate file {r2} has {second.records}: "
            "paired files must hold the same reads in the same order"
        )
    for which in ("first_name", "last_name"):
        if getattr(first, which) != getattr(second, which):
            raise VarnodeError(
                f"{r1} and {r2}: {which.split('_')[0]} reads are not mates "
                f"({getattr(first, which)!r} vs {getattr(second, which)!r})"
            )
    return {"pairs": first.records, "r1": asdict(first), "r2": asdict(second)}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("r1", type=Path, help="read 1 FASTQ (gzipped or plain)")
    parser.add_argument("r2", type=Path, help="read 2 FASTQ")
    parser.add_argument("-o", "--output", required=True, help="JSON of the read counts")


def run(args: argparse.Namespace) -> int:
    counts = check_pair(args.r1, args.r2)
    write_text_atomic(args.output, json.dumps(counts, indent=2) + "\n")
    print(f"{args.r1} + {args.r2}: {counts['pairs']} read pairs, checked")
    return 0
