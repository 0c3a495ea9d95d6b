"""Measure consensus rules (varnode consensus) against known truth; the shipped rule
(config consensus) is the best of these on tests/accuracy/sweep_consensus.tsv.

    python tests/accuracy/sweep_consensus.py --out tests/accuracy/sweep_consensus.tsv \
        sim30x=RUN_DIR,SAMPLE,REF,TRUTH,BED real=RUN_DIR,SAMPLE,REF,TRUTH

RUN_DIR is a pipeline run folder holding results/calls/SAMPLE.{bcftools,freebayes}
.filtered.vcf.gz; every rule in RULES is applied to their PASS calls and its PASS
output scored as in sweep_calling.py (haplotype- and genotype-aware, inside the BED).
Each caller's own filtered PASS calls are scored too, for comparison.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import pysam
from sweep_calling import score, truth_and_match, write_tsv

from varnode.accuracy.variants import load
from varnode.consensus.combine import Rule, decide

MIN_QUAL = (0, 10, 30, 100, float("inf"))
COLUMNS = (
    "dataset", "rule", "snv_tp", "snv_fp", "snv_fn", "snv_f1",
    "indel_tp", "indel_fp", "indel_fn", "indel_f1", "complex_truth", "complex_found",
)  # fmt: skip


def rules():
    for represent, bcftools, freebayes, conflicts in itertools.product(
        ("freebayes", "bcftools"), MIN_QUAL, MIN_QUAL, (False, True)
    ):
        name = (f"represent={represent} single_min_qual.bcftools={bcftools}"
                f" single_min_qual.freebayes={freebayes} pass_conflicts={conflicts}")  # fmt: skip
        yield name, Rule(represent, {"bcftools": bcftools, "freebayes": freebayes}, conflicts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("datasets", nargs="+", help="NAME=RUN_DIR,SAMPLE,REF,TRUTH[,BED]")
    args = parser.parse_args()
    rows = []
    for spec in args.datasets:
        name, paths = spec.split("=", 1)
        run_dir, sample, ref, truth_vcf, *bed = paths.split(",")
        region = bed[0] if bed else None
        truth, match = truth_and_match(truth_vcf, ref, region)
        fetch = pysam.FastaFile(ref).fetch
        calls = {
            caller: load(f"{run_dir}/results/calls/{sample}.{caller}.filtered.vcf.gz", ref,
                         None, region, pass_only=True)
            for caller in ("bcftools", "freebayes")
        }  # fmt: skip
        for caller, variants in calls.items():
            rows.append(
                {"dataset": name, "rule": f"{caller} alone", **score(truth, variants, match)}
            )
        for rule_name, rule in rules():
            kept = [d.variant for d in decide(calls, fetch, rule) if d.passed]
            rows.append({"dataset": name, "rule": rule_name, **score(truth, kept, match)})
        for row in rows[-2 - len(list(rules())) : -len(list(rules()))]:
            print(name, row["rule"], row["snv_f1"], row["indel_f1"])
        best = max(rows[-len(list(rules())) :], key=lambda r: r["snv_f1"] + r["indel_f1"])
        print(name, "best", best["rule"], best["snv_f1"], best["indel_f1"], flush=True)
    write_tsv(args.out, COLUMNS, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
