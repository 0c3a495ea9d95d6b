"""Planning cost: `snakemake --dry-run` of the shipped config on a GRCh38-shaped genome.

    python tests/bench/bench_dag.py                       # 100, 1,000 and 5,000 samples
    python tests/bench/bench_dag.py --samples 10 100 --callers bcftools
    python tests/bench/bench_dag.py --samples 1000 --profile   # + cProfile's top functions

Each run gets its own folder: the shipped config/ laid under a GRCh38-shaped reference
index and a sheet of N samples with empty FASTQs (tests/grch38_shape.py; a dry run reads
neither). Reports the jobs planned, wall time and peak resident memory of the snakemake
process (from wait4); CPU time is the steadier figure on a shared machine, as a table and as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.grch38_shape import write_grch38_run  # noqa: E402


def plan(folder: Path, samples: int, callers: list[str], profile: bool) -> dict:
    config_file = write_grch38_run(folder, samples, callers=callers)
    run = folder / "run"
    shutil.copytree(REPO / "config", run / "config")
    command = [sys.executable]
    if profile:
        command += ["-m", "cProfile", "-s", "cumtime", "-o", str(folder / "plan.prof")]
    command += ["-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(run),
                "--dry-run", "--quiet", "rules", "--cores", "2", "--configfile", str(config_file),
                "--workflow-profile", str(REPO / "workflow" / "profiles" / "default")]  # fmt: skip
    output = folder / "dry-run.log"
    start = time.perf_counter()
    with output.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"snakemake failed for {samples} samples; see {output}")
    totals = re.findall(r"^total +(\d+)$", output.read_text(), re.MULTILINE)
    return {
        "samples": samples,
        "callers": callers,
        "jobs": int(totals[0]),
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--callers", nargs="+", default=["bcftools", "freebayes"])
    parser.add_argument("--profile", action="store_true", help="profile with cProfile")
    parser.add_argument("--json", default="bench_dag.json", help="results file")
    parser.add_argument("--keep", help="folder to keep the runs in (default: a temporary one)")
    args = parser.parse_args()
    results = []
    columns = ("samples", "jobs", "jobs/sample", "wall s", "CPU s", "peak RSS MB")
    print(" ".join(f"{column:>12}" for column in columns))
    with tempfile.TemporaryDirectory(prefix="bench_dag.") as tmp:
        tmp = args.keep or tmp
        for samples in args.samples:
            folder = Path(tmp) / str(samples)
            row = plan(folder, samples, args.callers, args.profile)
            results.append(row)
            values = (samples, row["jobs"], round(row["jobs"] / samples, 1), row["wall_s"])
            values += (row["cpu_s"], row["peak_rss_mb"])
            print(" ".join(f"{value:>12}" for value in values), flush=True)
            if args.profile:
                import pstats

                pstats.Stats(str(folder / "plan.prof")).sort_stats("tottime").print_stats(25)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
