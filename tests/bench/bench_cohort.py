"""Benchmark the cohort allele-count and sample-QC steps on seeded synthetic cohorts.

    python tests/bench/bench_cohort.py                      # 100, 1,000, 5,000 samples x 100k sites
    python tests/bench/bench_cohort.py --scale 0.1          # the same grid, 10x smaller each way
    python tests/bench/bench_cohort.py --samples 1000 --sites 50000 100000

Each cohort is written once as BCF (like the pipeline's normalised joint calls) with
GT:DP for every sample: allele frequencies from a skewed distribution (most variants
rare), genotypes in Hardy-Weinberg proportions, 2% missing, 5% of sites on chrX where
the males (half the cohort) are homozygous at half depth. Each step then runs as its
own `python -m varnode` process, exactly as the workflow runs it, and its wall time and
peak resident memory (from wait4) are recorded. Results print as a table and go to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
GENOTYPES = np.frombuffer(b"0/00/11/1./.", dtype=np.uint8).reshape(4, 3)
DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
SITE_CHUNK = 2000
STEPS = ("allele-counts", "annotate", "sample-qc", "relatedness")


def write_cohort(path: Path, n_samples: int, n_sites: int, seed: int) -> None:
    """Stream a seeded cohort through `bcftools view -Ob` into `path` (BCF)."""
    rng = np.random.default_rng(seed)
    samples = [f"S{i:05d}" for i in range(n_samples)]
    male = np.arange(n_samples) % 2 == 1
    header = (
        "##fileformat=VCFv4.2\n"
        "##contig=<ID=chr1,length=248956422>\n##contig=<ID=chrX,length=156040895>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples) + "\n"
    )
    n_autosomal = int(n_sites * 0.95)
    with subprocess.Popen(
        ["bcftools", "view", "--no-version", "-Ob", "-o", str(path)], stdin=subprocess.PIPE
    ) as writer:
        writer.stdin.write(header.encode())
        for start in range(0, n_sites, SITE_CHUNK):
            sites = np.arange(start, min(start + SITE_CHUNK, n_sites))
            writer.stdin.write(_chunk_text(rng, sites, n_autosomal, male))
        writer.stdin.close()
    if writer.returncode or subprocess.run(["bcftools", "index", str(path)]).returncode:
        raise SystemExit(f"bcftools failed writing or indexing {path}")


def _chunk_text(rng, sites: np.ndarray, n_autosomal: int, male: np.ndarray) -> bytes:
    n_samples = len(male)
    on_x = sites >= n_autosomal
    frequency = np.minimum(rng.beta(0.3, 3.0, len(sites)) + 0.002, 0.99)
    dosage = rng.binomial(2, frequency[:, None], (len(sites), n_samples))
    depth = np.clip(rng.poisson(30, (len(sites), n_samples)), 10, 99)
    x_male = on_x[:, None] & male[None, :]
    # Males are hemizygous on X: one allele, seen twice by a diploid caller, at half depth.
    dosage = np.where(x_male, 2 * rng.binomial(1, frequency[:, None], dosage.shape), dosage)
    depth = np.where(x_male, depth // 2 + 5, depth)
    dosage[rng.random(dosage.shape) < 0.02] = 3
    cells = np.empty((len(sites), n_samples, 7), dtype=np.uint8)
    cells[..., 0:3] = GENOTYPES[dosage]
    cells[..., 3] = ord(":")
    cells[..., 4] = DIGITS[depth // 10]
    cells[..., 5] = DIGITS[depth % 10]
    cells[..., 6] = ord("\t")
    cells[:, -1, 6] = ord("\n")
    bases = np.array(list("ACGT"))
    refs = rng.integers(0, 4, len(sites))
    alts = (refs + rng.integers(1, 4, len(sites))) % 4
    out = bytearray()
    for row, site in enumerate(sites):
        chrom, pos = ("chrX", 3_000_000 + site) if on_x[row] else ("chr1", 10_000 + 10 * site)
        site_fields = f"{chrom}\t{pos}\t.\t{bases[refs[row]]}\t{bases[alts[row]]}\t50\tPASS\t."
        out += f"{site_fields}\tGT:DP\t".encode()
        out += cells[row].tobytes()
    return bytes(out)


def measure(command: list[str], scratch: Path) -> tuple[float, float, float]:
    """Run `command`; return (wall seconds, CPU seconds, peak RSS in MiB).

    CPU time (user + system) is the steadier figure on a shared machine, where wall time
    also counts waiting for a core.

    GNU time reports them: a child's own rusage would count the benchmark's memory
    too, because a forked child's maximum RSS starts from its parent's.
    """
    env = dict(os.environ, PYTHONPATH=str(REPO / "scripts"))
    report = scratch / "time.txt"
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%U %S %M", "-o", str(report), *command],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"failed: {' '.join(command)}")
    user, system, peak_kib = report.read_text().split()[-3:]
    return elapsed, float(user) + float(system), int(peak_kib) / 1024


def step_command(step: str, folder: Path, chunk_size: int, level: int) -> list[str]:
    """The command the workflow's rule runs for `step` (see workflow/rules/cohort.smk)."""
    calls, members = str(folder / "cohort.bcf"), str(folder / "members.tsv")
    varnode = [sys.executable, "-m", "varnode", step]
    chunk = ["--chunk-size", str(chunk_size)]
    counts = str(folder / "counts.vcf.gz")
    return {
        "allele-counts": [*varnode, calls, "-o", counts, "--sexes", members, *chunk],
        "annotate": ["bcftools", "annotate", "--threads", "2", "-a", counts, "-c", "INFO",
                     f"-Oz{level}", "-o", str(folder / "cohort.vcf.gz"), calls],
        "sample-qc": [*varnode, calls, "--sexes", members, "--tsv", str(folder / "qc.tsv"),
                      "--json", str(folder / "qc.json"), *chunk],
        "relatedness": [*varnode, calls, "-o", str(folder / "rel.tsv"), *chunk],
    }[step]  # fmt: skip


def bench_cohort(folder: Path, n_samples: int, n_sites: int, args) -> list[dict]:
    """Generate one cohort in `folder`, time each step on it, then delete it."""
    folder.mkdir()
    write_cohort(folder / "cohort.bcf", n_samples, n_sites, args.seed)
    (folder / "members.tsv").write_text(
        "".join(f"S{i:05d}\t{'MF'[i % 2 == 0]}\n" for i in range(n_samples))
    )
    rows = []
    for step in args.steps:
        seconds, cpu, peak = measure(
            step_command(step, folder, args.chunk_size, args.compression_level), folder
        )
        rows.append(
            {
                "samples": n_samples,
                "sites": n_sites,
                "step": step,
                "wall_seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "peak_rss_mib": round(peak, 1),
                "cpu_ns_per_genotype": round(cpu / (n_samples * n_sites) * 1e9, 1),
                "chunk_size": args.chunk_size,
            }
        )
        print(ROW.format(*list(rows[-1].values())[:-1]), flush=True)
    for generated in folder.iterdir():
        generated.unlink()
    return rows


HEAD = "{:>8} {:>8} {:<14} {:>8} {:>8} {:>9} {:>16}"
ROW = "{:>8} {:>8} {:<14} {:>8.1f} {:>8.1f} {:>9.0f} {:>16.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--sites", type=int, nargs="+", default=[100_000])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply samples and sites")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS[:3]))
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument(
        "--compression-level", type=int, default=1, help="cohort.vcf.gz bgzip level (config)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=Path("bench_cohort.json"))
    parser.add_argument("--workdir", type=Path, help="folder for the generated cohorts")
    args = parser.parse_args()

    print(HEAD.format("samples", "sites", "step", "wall s", "CPU s", "peak MiB", "CPU ns/genotype"))
    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
        for n_samples in sorted({max(10, round(n * args.scale)) for n in args.samples}):
            for n_sites in sorted({max(100, round(n * args.scale)) for n in args.sites}):
                folder = Path(scratch) / f"{n_samples}x{n_sites}"
                results += bench_cohort(folder, n_samples, n_sites, args)
    args.output.write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results}, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
