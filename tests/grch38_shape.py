"""A GRCh38-shaped run folder for dry runs: the analysis set's contig names and lengths
(the 25 primary sequences at their real lengths, plus seeded stand-ins for its ~3,300
unplaced, alt, decoy and HLA contigs) and a sheet of N samples with empty FASTQs.

A dry run reads only the reference's .fai and the sheet, so the FASTA holds one base per
contig and its .fai (written after it, so it counts as up to date) the real lengths; the
start-up checks accept both (a .fai entry whose sequence lies past the end of the file is
not "unindexed"). Used by tests/workflow/test_shipped_config.py and tests/bench/bench_dag.py.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

PRIMARY = {
    "chr1": 248_956_422, "chr2": 242_193_529, "chr3": 198_295_559, "chr4": 190_214_555,
    "chr5": 181_538_259, "chr6": 170_805_979, "chr7": 159_345_973, "chr8": 145_138_636,
    "chr9": 138_394_717, "chr10": 133_797_422, "chr11": 135_086_622, "chr12": 133_275_309,
    "chr13": 114_364_328, "chr14": 107_043_718, "chr15": 101_991_189, "chr16": 90_338_345,
    "chr17": 83_257_441, "chr18": 80_373_285, "chr19": 58_617_616, "chr20": 64_444_167,
    "chr21": 46_709_983, "chr22": 50_818_468, "chrX": 156_040_895, "chrY": 57_227_415,
    "chrM": 16_569,
}  # fmt: skip
# Counts of the 1000 Genomes GRCh38_full_analysis_set_plus_decoy_hla contigs by kind,
# with the range of their lengths.
OTHERS = {
    "chrUn_random": (169, 970, 1_000_000),
    "chr_alt": (261, 4_500, 4_700_000),
    "chrEBV": (1, 171_823, 171_824),
    "decoy": (2_841, 1_000, 200_000),
    "HLA": (525, 2_900, 11_000),
}


def grch38_contigs(seed: int = 38) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    contigs = list(PRIMARY.items())
    for kind, (count, shortest, longest) in OTHERS.items():
        for number in range(count):
            name = {
                "chrUn_random": f"chrUn_KI{270000 + number}v1",
                "chr_alt": f"chr{number % 22 + 1}_KI{271000 + number}v1_alt",
                "chrEBV": "chrEBV",
                "decoy": f"chrUn_JTFH{number:07d}v1_decoy",
                "HLA": f"HLA-A*01:{number:02d}:01",
            }[kind]
            contigs.append((name, rng.randint(shortest, longest)))
    return contigs


def write_reference(fasta: Path) -> Path:
    contigs = grch38_contigs()
    fasta.parent.mkdir(parents=True, exist_ok=True)
    fasta.write_text("".join(f">{name}\nN\n" for name, _ in contigs))
    # Offsets past the end of the stand-in FASTA: a dry run never reads a sequence.
    fasta.with_name(f"{fasta.name}.fai").write_text(
        "".join(f"{name}\t{length}\t{1 << 40}\t60\t61\n" for name, length in contigs)
    )
    return fasta


def write_grch38_run(folder: Path, samples: int, **overrides) -> Path:
    """A config (laid over the shipped one) for `samples` samples on a GRCh38-shaped
    reference, in `folder`; returns its path."""
    reference = write_reference(folder / "reference" / "GRCh38_full_analysis_set_plus_decoy_hla.fa")
    reads = folder / "reads"
    reads.mkdir(parents=True, exist_ok=True)
    rows = ["sample\tunit\tplatform\tfq1\tfq2\tsex\thpo"]
    for number in range(1, samples + 1):
        sample = f"S{number:05d}"
        for mate in ("R1", "R2"):
            (reads / f"{sample}_{mate}.fastq.gz").touch()
        sex = "female" if number % 2 else "male"
        rows.append(
            f"{sample}\tL1\tILLUMINA\t{reads}/{sample}_R1.fastq.gz\t{reads}/{sample}_R2.fastq.gz"
            f"\t{sex}\t"
        )
    sheet = folder / "samples.tsv"
    sheet.write_text("\n".join(rows) + "\n")
    config = {"samples": str(sheet), "reference": {"fasta": str(reference)}, **overrides}
    config_file = folder / "grch38.yaml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_file
