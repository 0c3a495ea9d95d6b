"""Byte-reproducible, atomic writers: no timestamps or file names inside compressed files."""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from varnode.common.atomic import atomic_path


def write_gzip(path: Path, data: bytes) -> None:
    # filename="" and mtime=0 keep the gzip header free of the name and the time; level 1
    # because compression at the default 9 took most of a large simulation's time.
    with (
        atomic_path(path) as partial,
        open(partial, "wb") as handle,
        gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=1) as out,
    ):
        out.write(data)


@contextlib.contextmanager
def _workdir_beside(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as work:
        yield Path(work)


def write_fasta(path: Path, text: str) -> None:
    """FASTA plus its .fai, moved in data first so the index is never the older file."""
    import pysam

    with _workdir_beside(path) as work:
        fasta = work / "sequence.fa"
        fasta.write_text(text)
        pysam.faidx(str(fasta))
        os.replace(fasta, path)
        os.replace(f"{fasta}.fai", f"{path}.fai")


def write_indexed_vcf(path: Path, text: str) -> None:
    """bgzipped VCF plus its .tbi; BGZF blocks carry no timestamp, so output is stable."""
    import pysam

    with _workdir_beside(path) as work:
        plain, packed = work / "records.vcf", work / "records.vcf.gz"
        plain.write_text(text)
        pysam.tabix_compress(str(plain), str(packed), force=True)
        pysam.tabix_index(str(packed), preset="vcf", force=True)
        os.replace(packed, path)
        os.replace(f"{packed}.tbi", f"{path}.tbi")
