"""Cheap start-up checks of the reference FASTA and the indexed VCFs named in config.

Each check reads headers, indexes and the last bytes of a file, never its body, so that a
run refuses a broken resource in seconds instead of failing (or silently annotating
nothing) many jobs in.
"""

from __future__ import annotations

import gzip
import mmap
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

# The empty BGZF block every bgzip writer ends a file with (SAM/BAM spec, section 4.1.2);
# without it the file was cut short.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
GZIP_MAGIC = b"\x1f\x8b"
# Reference sequence names as the SAM spec (1.6, section 1.2.1) allows them; region
# strings (contig:start-end) and VCF headers rely on the same rules.
CONTIG_NAME = re.compile(r"^[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*$")


def compression(path: str | Path) -> str:
    """'bgzf', 'gzip' (plain gzip, not block-compressed) or 'none'."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    if not head.startswith(GZIP_MAGIC):
        return "none"
    # BGZF: gzip with FEXTRA (flag 4) holding a 'BC' subfield (SAM/BAM spec 4.1).
    return "bgzf" if len(head) == 18 and head[3] & 4 and head[12:14] == b"BC" else "gzip"


def bgzf_complete(path: str | Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        if handle.tell() < len(BGZF_EOF):
            return False
        handle.seek(-len(BGZF_EOF), 2)
        return handle.read() == BGZF_EOF


def compressed_file_problems(key: str, path: str | Path) -> list[str]:
    """A compressed resource must be bgzip (htslib cannot index or seek plain gzip) and
    end with the BGZF end-of-file block."""
    kind = compression(path)
    if kind == "gzip":
        return [
            f"config {key}: {path} is gzip-compressed but not bgzip (BGZF), which htslib "
            f"cannot index: recompress with `zcat {path} | bgzip > new.gz`"
        ]
    if kind == "bgzf" and not bgzf_complete(path):
        return [f"config {key}: {path} lacks the BGZF end-of-file block: the file is truncated"]
    return []


# --- reference FASTA ------------------------------------------------------------------


def _header_starts(data: mmap.mmap) -> Iterator[int]:
    if data[:1] == b">":
        yield 0
    newline = data.find(b"\n>")
    while newline != -1:
        yield newline + 1
        newline = data.find(b"\n>", newline + 1)


def _first_word(header: bytes) -> str:
    return (header[1:].split() or [b""])[0].decode(errors="replace")


def fasta_header_names(fasta: str | Path) -> list[str]:
    """Names of every '>' line; an uncompressed file is searched for header starts
    (memchr speed, no loop over sequence lines)."""
    if compression(fasta) != "none":
        with gzip.open(fasta, "rb") as handle:
            return [_first_word(line) for line in handle if line[:1] == b">"]
    with open(fasta, "rb") as handle:
        if handle.seek(0, 2) == 0:
            return []
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            names = []
            for start in _header_starts(data):
                end = data.find(b"\n", start)
                names.append(_first_word(data[start : end if end != -1 else len(data)]))
            return names


def fai_entries(fai: Path) -> list[tuple[str, int, int, int, int]]:
    """(name, length, offset, line bases, line width) of each .fai line."""
    entries = []
    for line in fai.read_text().splitlines():
        if line.strip():
            name, length, offset, bases, width = line.split("\t")[:5]
            entries.append((name, int(length), int(offset), int(bases), int(width)))
    return entries


def unindexed_sequences(fasta: Path, entries: list[tuple[str, int, int, int, int]]) -> list[str]:
    """Header lines of an uncompressed FASTA that its .fai skips: samtools faidx keeps only
    the first of duplicate names, and a stale .fai misses sequences added later. Each
    indexed sequence must be followed directly by the next indexed header."""
    found = []
    with open(fasta, "rb") as handle:
        size = handle.seek(0, 2)
        for index, (_name, length, offset, bases, width) in enumerate(entries):
            full, rest = divmod(length, bases) if bases else (0, 0)
            end = offset + full * width + (rest + width - bases if rest else 0)
            handle.seek(end)
            line = handle.readline()
            following = entries[index + 1][2] if index + 1 < len(entries) else size
            if line.strip() and (not line.startswith(b">") or end + len(line) != following):
                found.append(line.strip()[:80].decode(errors="replace"))
    return found


def reference_problems(fasta: str | Path) -> tuple[list[str], list[str]]:
    """(contig names, problems): compression, duplicate and malformed contig names.

    The .fai is used when present (a FASTA without one is scanned for its headers)."""
    fasta = Path(fasta)
    key = "reference.fasta"
    problems = compressed_file_problems(key, fasta)
    fai = Path(f"{fasta}.fai")
    if fai.is_file():
        try:
            entries = fai_entries(fai)
        except ValueError:
            problems.append(f"config {key}: {fai} is not a FASTA index (5+ tab columns)")
            return [], problems
        names = [entry[0] for entry in entries]
        if compression(fasta) == "none":
            problems += [
                f"config {key}: {fasta} has sequence {header!r} that its index {fai} lacks "
                "(a duplicate name skipped by samtools faidx, or an outdated .fai)"
                for header in unindexed_sequences(fasta, entries)
            ]
    elif problems:
        return [], problems
    else:
        names = fasta_header_names(fasta)
    if not names:
        problems.append(f"config {key}: {fasta} has no sequences ('>' header lines)")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        problems.append(
            f"config {key}: {fasta} has duplicate contig name(s) {', '.join(duplicates[:5])}"
        )
    bad = [name for name in names if not CONTIG_NAME.match(name)]
    if bad:
        problems.append(
            f"config {key}: {fasta} has contig name(s) the SAM/VCF specs do not allow: "
            f"{', '.join(map(repr, bad[:5]))}"
        )
    return names, problems


# --- indexed VCFs ---------------------------------------------------------------------


def vcf_index(path: str | Path) -> Path | None:
    """The VCF's .tbi, else its .csi, if either exists."""
    return next(
        (Path(f"{path}.{ext}") for ext in ("tbi", "csi") if Path(f"{path}.{ext}").is_file()), None
    )


def indexed_vcf_problems(key: str, path: str | Path) -> list[str]:
    """A VCF resource read by region must be bgzipped, complete and have a readable index."""
    import pysam

    if not Path(path).is_file():
        return [f"config {key}: file not found: {path}"]
    if compression(path) != "bgzf":
        return compressed_file_problems(key, path) or [
            f"config {key}: {path} is not bgzip-compressed: compress with `bgzip` and index "
            "it with `tabix -p vcf`"
        ]
    problems = compressed_file_problems(key, path)
    index = vcf_index(path)
    if index is None:
        problems.append(
            f"config {key}: {path} has no index ({path}.tbi or .csi): run `tabix -p vcf {path}`"
        )
        return problems
    try:
        with pysam.TabixFile(str(path), index=str(index)) as tabix:
            tabix.contigs  # noqa: B018 - reading the index is the check
    except (OSError, ValueError) as error:
        problems.append(
            f"config {key}: index {index} cannot be read ({error}): rebuild it with "
            f"`tabix -f -p vcf {path}`"
        )
    return problems


# --- contigs of resources named in config ---------------------------------------------


def bed_contigs(bed: str | Path) -> set[str]:
    opener = gzip.open if str(bed).endswith(".gz") else open
    with opener(bed, "rt") as handle:
        return {
            line.split("\t", 1)[0]
            for line in handle
            if line.strip() and not line.startswith(("#", "track", "browser"))
        }


def vcf_contigs(vcf: str | Path) -> set[str]:
    """Contigs that carry records, from the index (header ##contig lines often list a
    whole assembly); the index itself is checked first (file_checks.indexed_vcf_problems)."""
    import pysam

    with pysam.TabixFile(str(vcf), index=str(vcf_index(vcf))) as tabix:
        return set(tabix.contigs)


def resource_problems(key: str, path: str, read_contigs, reference: set[str]) -> list[str]:
    """A file named in config must exist and name only contigs the reference has."""
    if not Path(path).is_file():
        return [f"config {key}: file not found: {path}"]
    unknown = sorted(read_contigs(path) - reference)
    if not unknown:
        return []
    shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
    return [
        f"config {key}: {path} names contig(s) the reference lacks: {shown} "
        f"(reference has e.g. {', '.join(sorted(reference)[:3])}; "
        "rename them, e.g. with bcftools annotate --rename-chrs)"
    ]
