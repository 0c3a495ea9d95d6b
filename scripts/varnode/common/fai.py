"""A reference's .fai index read as (contig, length) pairs."""

from __future__ import annotations

from pathlib import Path

from varnode.errors import VarnodeError


def read_fai(fai: str | Path) -> list[tuple[str, int]]:
    contigs = []
    with open(fai) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 or not fields[1].isdigit():
                raise VarnodeError(f"{fai} line {number}: not a .fai line (name<TAB>length...)")
            contigs.append((fields[0], int(fields[1])))
    return contigs
