"""Benchmark: `varnode filter` against bcftools doing the same filtering.

Generates (seeded, cached in --workdir) (a) a single-sample VCF of 5M records and
(b) a 100-sample VCF of 1M records shaped like `bcftools call` output, then times,
alternating and --repeats times each:

    varnode filter IN -o OUT.vcf.gz --hard --set-missing --threads T   (filters.yaml below)
    bcftools view -e 'QUAL<30 || INFO/DP<10' -Ou IN
      | bcftools +setGT -Oz -o OUT.vcf.gz -- -t q -n . -i 'FMT/GQ<20 | FMT/DP<8'

and reports median wall time, CPU time, the ratio to bcftools and the peak RSS of
the largest process. varnode also writes PASS, FORMAT/FT, an index and the stats,
which the bcftools command does not; `bcftools+index` adds `bcftools index` to it.
`cyvcf2 floor` is what cyvcf2 alone costs per record: reading the input (as
uncompressed BCF, the form varnode's Python stage reads) and writing it back, without
touching a field.

    python tests/bench/bench_filter.py                 # full scale (several minutes)
    python tests/bench/bench_filter.py --scale 0.05    # quick check
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vcfgen import write_vcf

FILTERS = """\
site:
  - {name: LowQual, description: "QUAL < 30", field: QUAL, fail_if: "<", value: 30}
  - {name: LowDepth, description: "INFO/DP < 10", field: INFO/DP, fail_if: "<", value: 10}
genotype:
  - {name: LowGQ, description: "GQ < 20", field: FORMAT/GQ, fail_if: "<", value: 20}
  - {name: LowGtDepth, description: "DP < 8", field: FORMAT/DP, fail_if: "<", value: 8}
"""
BCFTOOLS = (
    "bcftools view -e 'QUAL<30 || INFO/DP<10' -Ou {src}"
    " | bcftools +setGT -Oz -o {out} -- -t q -n . -i 'FMT/GQ<20 | FMT/DP<8' 2>/dev/null"
)
INDEX = " && bcftools index -f -t {out}"
SHAPES = {"1 sample x 5M": (5_000_000, 1), "100 samples x 1M": (1_000_000, 100)}


def measure(command: str, rss_file: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (all processes) and peak RSS (MB, largest process).

    GNU time runs the command so the RSS is not inflated by this Python process, whose
    pages a forked child would count until it execs.
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), "bash", "-o", "pipefail", "-c", command]
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {command}")
    rss_kb = int(rss_file.read_text().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, rss_kb / 1024


FLOOR = """
import sys, time
from cyvcf2 import VCF, Writer
reader = VCF(sys.argv[1], lazy=True)
writer = Writer("/dev/null", reader, mode="wbu")
start, records = time.perf_counter(), 0
for record in reader:
    writer.write_record(record)
    records += 1
writer.close()
print(f"{(time.perf_counter() - start) / max(records, 1) * 1e6:.2f}")
"""


def cyvcf2_floor(source: Path) -> float:
    """Microseconds per record for cyvcf2 to read and write `source` untouched."""
    plain = source.with_suffix(".floor.bcf")
    subprocess.run(["bcftools", "view", "-Ou", "-o", str(plain), str(source)], check=True)
    done = subprocess.run([sys.executable, "-c", FLOOR, str(plain)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    plain.unlink()
    return float(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the record counts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/varnode-bench"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    filters = args.workdir / "filters.yaml"
    filters.write_text(FILTERS)
    print("shape\ttool\tmedian_wall_s\tmedian_cpu_s\tpeak_rss_mb\tratio\tratio_to_indexed")
    for label, (records, samples) in SHAPES.items():
        records = max(1000, int(records * args.scale))
        source = args.workdir / f"synthetic_{samples}s_{records}r_seed{args.seed}.vcf.gz"
        if not Path(f"{source}.tbi").exists():
            write_vcf(source, records, samples, args.seed)
            subprocess.run(["tabix", "-f", "-p", "vcf", str(source)], check=True)
        commands = {
            "varnode": (
                f"{sys.executable} -m varnode filter {source} -o {args.workdir}/varnode.vcf.gz"
                f" --filters {filters} --stats {args.workdir}/varnode.stats.tsv"
                f" --hard --set-missing --threads {args.threads}"
            ),
            "bcftools": BCFTOOLS.format(src=source, out=f"{args.workdir}/bcftools.vcf.gz"),
            "bcftools+index": BCFTOOLS.format(src=source, out=f"{args.workdir}/indexed.vcf.gz")
            + INDEX.format(out=f"{args.workdir}/indexed.vcf.gz"),
        }
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                runs[name].append(measure(command, args.workdir / "rss.txt"))
        medians = {
            name: (
                statistics.median(r[0] for r in results),
                statistics.median(r[1] for r in results),
                max(r[2] for r in results),
            )
            for name, results in runs.items()
        }
        for name, (wall, cpu, rss) in medians.items():
            ratio = wall / medians["bcftools"][0]
            indexed = wall / medians["bcftools+index"][0]
            print(
                f"{label} ({records} rec)\t{name}\t{wall:.2f}\t{cpu:.2f}\t{rss:.0f}"
                f"\t{ratio:.2f}\t{indexed:.2f}"
            )
        print(f"{label} ({records} rec)\tcyvcf2 floor\t{cyvcf2_floor(source):.2f} us/record")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
