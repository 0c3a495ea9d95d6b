"""Benchmark the node export (`varnode export`) on seeded synthetic cohorts.

    python tests/bench/bench_export.py                         # 1,000 samples x 20k, 100k sites
    python tests/bench/bench_export.py --samples 100 --sites 10000

The cohort is bench_cohort's (BCF with GT:DP, skewed allele frequencies, 5% chrX with
haploid males, half the cohort male); every sample is callable on both contigs. The
export runs as its own process, as the workflow runs it (GRCh38 ploidy, sex strata,
floor 10, egress check included), and also reading the genotypes alone, which is the
floor no export built on the same reader can go below.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cohort import measure, write_cohort

READ_ONLY = (
    "import sys; from varnode.filters.chunks import read_chunks;"
    " r, chunks = read_chunks(sys.argv[1], 1000, with_depth=False);"
    " print(sum(len(c) for c in chunks))"
)


def bench(folder: Path, n_samples: int, n_sites: int, seed: int) -> dict:
    folder.mkdir()
    calls = folder / "cohort.bcf"
    write_cohort(calls, n_samples, n_sites, seed)
    (folder / "members.tsv").write_text(
        "".join(f"S{i:05d}\t{'MF'[i % 2 == 0]}\n" for i in range(n_samples))
    )
    beds = folder / "callable"
    beds.mkdir()
    everywhere = "chr1\t0\t248956422\tCALLABLE\nchrX\t0\t156040895\tCALLABLE\n"
    for i in range(n_samples):
        with gzip.open(beds / f"S{i:05d}.quantized.bed.gz", "wt") as handle:
            handle.write(everywhere)
    export = [
        *(sys.executable, "-m", "varnode", "export", str(calls)),
        *("--members", str(folder / "members.tsv"), "--callable"),
        *sorted(str(p) for p in beds.iterdir()),
        *("-o", str(folder / "export"), "--dataset-id", "bench", "--node-id", "bench"),
        *("--assembly", "GRCh38", "--ploidy", "GRCh38"),
    ]
    wall, cpu, peak = measure(export, folder)
    _, read_cpu, _ = measure([sys.executable, "-c", READ_ONLY, str(calls)], folder)
    manifest = json.loads((folder / "export" / "manifest.json").read_text())
    return {
        "samples": n_samples,
        "sites": n_sites,
        "export_wall_s": round(wall, 1),
        "export_cpu_s": round(cpu, 1),
        "export_peak_mib": round(peak),
        "read_genotypes_cpu_s": round(read_cpu, 1),
        "sites_exported": manifest["sites_exported"],
        "sites_withheld": manifest["sites_withheld"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1000])
    parser.add_argument("--sites", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for n_samples in args.samples:
            for n_sites in args.sites:
                row = bench(Path(scratch) / f"{n_samples}x{n_sites}", n_samples, n_sites, args.seed)
                print(json.dumps(row))
                results.append(row)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
