"""Calling accuracy with a complete truth: simulate, run the pipeline, compare each caller.

    python tests/bench/bench_simulated_accuracy.py                          # 200 kb random genome
    python tests/bench/bench_simulated_accuracy.py --reference ../shared/data/reference/*.fa
    python tests/bench/bench_simulated_accuracy.py --length 2000000 --depth 30 --seed 3
    python tests/bench/bench_simulated_accuracy.py --reads art --depth 20   # ART HS25 reads

`varnode simulate` plants SNVs and indels at human-like density (or the rates given)
and draws 2x150 reads at the given depth; the pipeline's `assess_accuracy` target then
scores each caller against the planted truth. Unlike GIAB without its confident-region
BED, every true variant is in the truth, so the false positives are real. Extra
arguments after `--` go to snakemake (e.g. `-- --config 'callers=[bcftools]'`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", help="FASTA to plant variants into")
    parser.add_argument("--length", type=int, default=200_000)
    parser.add_argument("--depth", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--snv-rate", type=float, default=1e-3)
    parser.add_argument("--indel-rate", type=float, default=1.5e-4)
    parser.add_argument("--complex-rate", type=float, default=2e-5)
    parser.add_argument("--reads", choices=["model", "art"], default="model")
    parser.add_argument("--keep", help="run in this folder and keep it")
    parser.add_argument("snakemake_args", nargs="*")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="varnode-accuracy-"))
    data = workdir / "simulated"
    simulate = [sys.executable, "-m", "varnode", "simulate", "--outdir", str(data),
                "--seed", str(args.seed), "--samples", "1", "--depth", str(args.depth),
                "--snv-rate", str(args.snv_rate), "--indel-rate", str(args.indel_rate),
                "--complex-rate", str(args.complex_rate), "--reads", args.reads]  # fmt: skip
    simulate += (
        ["--reference", args.reference] if args.reference else ["--length", str(args.length)]
    )
    # This checkout's package, as the workflow's rules use it.
    env = {**os.environ, "PYTHONPATH": str(REPO / "scripts")}
    subprocess.run(simulate, check=True, env=env)
    shutil.copytree(REPO / "config", workdir / "config", dirs_exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "snakemake", "assess_accuracy", "-s", str(REPO / "Snakefile"),
         "--directory", str(workdir), "--cores", "2", "--quiet", "rules",
         *args.snakemake_args, "--configfile", str(data / "config.yaml")],
        check=True,
    )  # fmt: skip
    print(f"{'caller':<10} {'method':<19} {'type':<6} {'TP':>5} {'FP':>4} {'FN':>4} {'F1':>8}")
    for table in sorted((workdir / "results" / "accuracy").glob("*.accuracy.json")):
        caller = table.name.split(".")[1]
        for row in json.loads(table.read_text())["metrics"]:
            if row["type"] != "ALL" and row["method"] in ("allele", "haplotype_genotype"):
                print(f"{caller:<10} {row['method']:<19} {row['type']:<6} {row['truth_tp']:>5}"
                      f" {row['fp']:>4} {row['fn']:>4} {row['f1']!s:>8}")  # fmt: skip
    if not args.keep:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
