"""Cost of adding one sample to a cohort of N: its own gVCF plus one merge per shard.

With gVCFs, sample N+1 costs its own calling (the same for every N; measured here on
the shared NA12878 alignment when given with --bam) and the cohort shard merges of N+1
gVCFs, which read no alignment. This times `varnode merge-gvcfs` (wall and CPU of the
job and its bcftools children) over seeded gVCFs (tests/gvcfgen.py) of N+1 = 11, 101,
1,001 samples on a LENGTH-bp contig, as one cohort shard.

    nice python tests/bench/bench_incremental_cohort.py [--sizes 10 100 1000]
        [--length 200000] [--fan-in 0] [--bam results/aligned/NA12878.bam --ref genome.fa]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.gvcfgen import reference_sequence, write_gvcf, write_reference


def timed(command: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def per_sample_gvcf(bam: str, ref: str, out: Path) -> tuple[float, float]:
    script = (
        "bcftools mpileup --no-version --max-depth 1000 --min-MQ 20"
        ' -a FORMAT/AD,FORMAT/DP,FORMAT/SP -f "$1" -Ou "$2"'
        ' | bcftools call --no-version --multiallelic-caller --gvcf 10 -a GQ -Oz -o "$3"'
    )
    return timed(["bash", "-c", f"set -o pipefail; {script}", "gvcf", ref, bam, str(out)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--length", type=int, default=200_000)
    parser.add_argument("--fan-in", type=int, default=0)
    parser.add_argument("--bam", help="an alignment to time one sample's gVCF calling on")
    parser.add_argument("--ref", help="its reference FASTA")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        folder = Path(tmp)
        fasta = write_reference(folder, args.length)
        sequence = reference_sequence(fasta)
        regions = folder / "regions.bed"
        regions.write_text(f"chr1\t0\t{args.length}\n")
        gvcfs: list[Path] = []
        if args.bam:
            wall, cpu = per_sample_gvcf(args.bam, args.ref, folder / "added.g.vcf.gz")
            print(f"per-sample gVCF of {args.bam}: wall {wall:.2f} s, CPU {cpu:.2f} s")
        print("cohort_before\tmerged_gvcfs\tvariant_records\twall_s\tcpu_s")
        for size in sorted(args.sizes):
            while len(gvcfs) < size + 1:
                index = len(gvcfs)
                gvcfs.append(write_gvcf(folder, f"S{index:05d}", sequence, 1000 + index))
            output = folder / f"merged.{size}.bcf"
            command = [
                sys.executable, "-m", "varnode", "merge-gvcfs", "--ref", str(fasta),
                "--regions", str(regions), "--fan-in", str(args.fan_in), "-o", str(output),
                *map(str, gvcfs[: size + 1]),
            ]  # fmt: skip
            wall, cpu = timed(command)
            n_records = subprocess.run(
                ["bcftools", "view", "-H", str(output)], capture_output=True, text=True
            ).stdout.count("\n")
            print(f"{size}\t{size + 1}\t{n_records}\t{wall:.2f}\t{cpu:.2f}", flush=True)


if __name__ == "__main__":
    main()
