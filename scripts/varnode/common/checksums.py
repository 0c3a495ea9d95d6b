"""sha256 of files, with a cache keyed by path, size and modification time.

A run hashes every input and output once for its RO-Crate. Inputs (FASTQ, reference,
resources) are large and rarely change between runs, so their digests are kept in a
cache file in the run folder and reused while a file's size and mtime are unchanged;
`varnode verify` never uses the cache: it recomputes every digest.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from varnode.common.atomic import write_text_atomic
from varnode.errors import VarnodeError

BLOCK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(BLOCK):
                digest.update(block)
    except OSError as error:
        raise VarnodeError(f"{path}: cannot be read ({error.strerror})") from None
    return digest.hexdigest()


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int


class ChecksumCache:
    """Digests by real path, valid while size and mtime (ns) are those recorded."""

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, dict] = {}
        self.hashed_bytes = 0
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text())
            except json.JSONDecodeError:
                self.entries = {}  # a damaged cache only costs a rehash

    def digest(self, path: str | os.PathLike[str]) -> Digest:
        real = os.path.realpath(path)
        try:
            stat = os.stat(real)
        except OSError as error:
            raise VarnodeError(f"{path}: not found ({error.strerror})") from None
        entry = self.entries.get(real)
        if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
            return Digest(entry["sha256"], stat.st_size)
        sha256 = sha256_file(real)
        self.hashed_bytes += stat.st_size
        self.entries[real] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": sha256,
        }
        return Digest(sha256, stat.st_size)

    def save(self) -> None:
        if self.path is not None:
            write_text_atomic(self.path, json.dumps(self.entries, indent=1, sort_keys=True))
