"""Score each call set of pipeline runs before and after filtering (raw vs PASS).

    python tests/accuracy/pass_vs_raw.py --out tests/accuracy/pass_vs_raw.tsv \
        sim1_30x=RUN_DIR,SAMPLE,REF,TRUTH,BED ... real=RUN_DIR,SAMPLE,REF,TRUTH \
        [--extra real:plain_bcftools_call_mv=PLAIN.vcf.gz]

RUN_DIR is a pipeline run folder (results/calls/SAMPLE.{bcftools,freebayes}.vcf.gz,
.filtered.vcf.gz and SAMPLE.consensus.vcf.gz). Every call set is scored exactly as
`varnode compare` scores it (haplotype_genotype matching, inside the BED, incomplete
truth set aside): `raw` counts every record of the caller's unfiltered output (for the
consensus: every record it wrote, also SingleCaller/CallerConflict ones), `PASS` the
PASS records of the filtered output. One row per dataset, call set and level, with
`pass_ge_raw` on the PASS rows: whether PASS F1 >= raw F1 for SNVs and for indels
(issue 16's "PASS F1 >= raw F1 for every caller and depth"). --extra adds a call set
scored like the others (all records), e.g. plain `bcftools call -mv` on the real slice.
"""

from __future__ import annotations

import argparse
import sys
from argparse import Namespace

from sweep_calling import write_tsv

from varnode.accuracy.compare import compare

METHOD = "haplotype_genotype"
COLUMNS = (
    "dataset", "call_set", "level", "snv_tp", "snv_fp", "snv_fn", "snv_f1",
    "indel_tp", "indel_fp", "indel_fn", "indel_f1", "pass_ge_raw",
)  # fmt: skip


def score(calls: str, ref: str, truth: str, bed: str | None, all_calls: bool) -> dict:
    args = Namespace(
        truth=truth, ref=ref, regions=bed, calls=calls, sample=None, truth_sample=None,
        all_calls=all_calls, gap=10,
    )  # fmt: skip
    rows, _, _ = compare(args)
    scored = {}
    for row in rows:
        if row["method"] == METHOD and row["type"] in ("SNV", "INDEL"):
            prefix = row["type"].lower()
            scored.update({
                f"{prefix}_tp": row["truth_tp"], f"{prefix}_fp": row["fp"],
                f"{prefix}_fn": row["fn"], f"{prefix}_f1": row["f1"] or 0.0,
            })  # fmt: skip
    return scored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="TSV to write")
    parser.add_argument(
        "--extra", action="append", default=[], help="DATASET:NAME=VCF, scored on all records"
    )
    parser.add_argument("datasets", nargs="+", help="NAME=RUN_DIR,SAMPLE,REF,TRUTH[,BED]")
    args = parser.parse_args()
    extras: dict[str, list[tuple[str, str]]] = {}
    for spec in args.extra:
        dataset, rest = spec.split(":", 1)
        name, vcf = rest.split("=", 1)
        extras.setdefault(dataset, []).append((name, vcf))
    rows, failures = [], []
    for spec in args.datasets:
        name, paths = spec.split("=", 1)
        run_dir, sample, ref, truth, *bed = paths.split(",")
        region = bed[0] if bed else None
        calls = f"{run_dir}/results/calls/{sample}"
        for call_set in ("bcftools", "freebayes", "consensus"):
            if call_set == "consensus":
                raw_vcf = passed_vcf = f"{calls}.consensus.vcf.gz"
            else:
                raw_vcf, passed_vcf = (
                    f"{calls}.{call_set}.vcf.gz",
                    f"{calls}.{call_set}.filtered.vcf.gz",
                )
            raw = score(raw_vcf, ref, truth, region, all_calls=True)
            passed = score(passed_vcf, ref, truth, region, all_calls=False)
            ok = passed["snv_f1"] >= raw["snv_f1"] and passed["indel_f1"] >= raw["indel_f1"]
            if not ok:
                failures.append(f"{name} {call_set}")
            common = {"dataset": name, "call_set": call_set}
            rows.append({**common, "level": "raw", **raw, "pass_ge_raw": ""})
            rows.append({**common, "level": "PASS", **passed, "pass_ge_raw": ok})
            print(name, call_set, "raw", raw["snv_f1"], raw["indel_f1"],
                  "PASS", passed["snv_f1"], passed["indel_f1"], flush=True)  # fmt: skip
        for extra, vcf in extras.get(name, []):
            scored = score(vcf, ref, truth, region, all_calls=True)
            rows.append({"dataset": name, "call_set": extra, "level": "raw", **scored,
                         "pass_ge_raw": ""})  # fmt: skip
            print(name, extra, scored["snv_f1"], scored["indel_f1"], flush=True)
    write_tsv(args.out, COLUMNS, rows)
    print("PASS F1 < raw F1:", ", ".join(failures) or "none")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
