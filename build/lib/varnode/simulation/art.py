"""Paired-end reads with ART's empirical Illumina error profile (art_illumina).

ART (Huang et al. 2012; Debian's art-nextgen-simulation-tools) draws reads with the
base-quality, substitution and indel profile measured on a real instrument (HiSeq 2500,
`-ss HS25`, reads up to 150 bp), which the built-in model in `varnode.simulation.reads`
only approximates. Each haplotype is simulated at half the requested depth; ART's seed
(`-rs`) comes from the sample's numpy generator, so the same seed gives the same reads.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from varnode.errors import VarnodeError

PROFILE = "HS25"
MAX_READ_LENGTH = 150  # longest read HS25's built-in profile models
FRAGMENT_MEAN, FRAGMENT_SD = 400, 80


def art_pairs(
    rng: np.random.Generator,
    haplotypes: list[tuple[str, np.ndarray]],
    depth: float,
    read_length: int,
) -> tuple[bytes, bytes]:
    """FASTQ bytes of read 1 and read 2 drawn by ART from the (label, sequence) haplotypes."""
    if shutil.which("art_illumina") is None:
        raise VarnodeError(
            "--reads art: art_illumina not found (Debian package art-nextgen-simulation-tools)"
        )
    if read_length > MAX_READ_LENGTH:
        raise VarnodeError(f"--reads art: --read-length {read_length} exceeds {PROFILE}'s 150")
    seed = int(rng.integers(1, 2**31 - 1))
    with tempfile.TemporaryDirectory(prefix="varnode-art-") as work:
        fasta = Path(work) / "haplotypes.fa"
        fasta.write_bytes(
            b"".join(b">%s\n%s\n" % (label.encode(), seq.tobytes()) for label, seq in haplotypes)
        )
        command = [
            "art_illumina", "-ss", PROFILE, "-i", str(fasta), "-p", "-na", "-q",
            "-l", str(read_length), "-f", f"{depth / 2:g}", "-m", str(FRAGMENT_MEAN),
            "-s", str(FRAGMENT_SD), "-rs", str(seed), "-o", str(Path(work) / "reads"),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise VarnodeError(f"art_illumina failed: {result.stderr.strip()[-500:]}")
        return (Path(work) / "reads1.fq").read_bytes(), (Path(work) / "reads2.fq").read_bytes()
