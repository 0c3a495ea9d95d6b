"""Depth-stratified sweep of caller options and site filters against known truth.

    python tests/accuracy/sweep_calling.py --out tests/accuracy/sweep.tsv \
        --filters config/filters.yaml --filters-out tests/accuracy/sweep_filters.tsv \
        sim30x=BAM,REF,TRUTH,BED sim20x=... real=BAM,REF,TRUTH

For each dataset (an aligned BAM with its reference, truth VCF and optional confident
BED), each caller and each option set in OPTIONS, the BAM is called as the pipeline
calls it (bcftools mpileup | call, or freebayes; then `bcftools norm -m-any`), and every
combination of a minimum QUAL and a minimum sample depth (FORMAT/DP for bcftools,
RO+AO for freebayes) is scored with `varnode compare`'s matching (haplotype-aware,
genotype-aware, inside the BED). One TSV row per dataset, caller, options and
thresholds: TP/FP/FN and F1 for SNV and INDEL, and how many truth MNP/DELINS were found.
With --filters, each site filter of that filters YAML is also scored on its own (calls
it fails removed) and all of them together (`varnode filter`, PASS calls): one row per
dataset, caller, options and filter in --filters-out.
The shipped defaults (config/config.yaml params, config/filters.yaml) were chosen from
tests/accuracy/sweep.tsv; rerun this after changing a caller or its version.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pysam
from cyvcf2 import VCF

from varnode.accuracy.haplotypes import match_haplotypes, unresolved_spanning_deletions
from varnode.accuracy.variants import RegionFilter, Variant, load_call_set
from varnode.reference.regions import read_bed

OPTIONS = {
    "bcftools": [
        ("--max-depth 1000 --min-MQ 20 --min-BQ 20", "--multiallelic-caller"),
        ("--max-depth 1000", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 1", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 1", "--multiallelic-caller --prior 0.01"),
        ("--max-depth 1000 --min-MQ 20 --indel-bias 2", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --open-prob 30", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --tandem-qual 250", "--multiallelic-caller"),
        # issue 16 (b): bcftools' indel and BAQ options, scored with --callers bcftools
        ("--max-depth 1000 --min-MQ 20 --no-BAQ", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --redo-BAQ", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --full-BAQ", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --tandem-qual 100", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --tandem-qual 1000", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --open-prob 50", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --ext-prob 10", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --ext-prob 30", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --min-ireads 1", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --gap-frac 0.02", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --gap-frac 0.1", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --indel-size 200", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --indel-bias 0.75", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20", "--multiallelic-caller --prior 0.01"),
        ("--max-depth 1000 --min-MQ 20", "--multiallelic-caller --prior 0.0001"),
        ("--max-depth 1000 --min-MQ 20", "--consensus-caller"),
        # issue 16 (b), continued: ambiguous indel reads, base-quality caps, the 1.16
        # profiles, and --no-BAQ/--redo-BAQ with indel options (25-)
        ("--max-depth 1000 --min-MQ 20 --ambig-reads incAD", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --ambig-reads incAD0", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --max-BQ 30", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --max-BQ 40", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --delta-BQ 10", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 -X 1.12", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 -X illumina", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --ambig-reads incAD", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --ambig-reads incAD0", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --indel-bias 0.75", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --indel-bias 2", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --max-BQ 30", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --delta-BQ 10", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ --tandem-qual 100", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ", "--multiallelic-caller --prior 0.0001"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ", "--multiallelic-caller --prior 0.0003"),
        ("--max-depth 1000 --min-MQ 20 --no-BAQ", "--multiallelic-caller --prior 0.00003"),
        ("--max-depth 1000 --min-MQ 20 --redo-BAQ --ambig-reads incAD", "--multiallelic-caller"),
        ("--max-depth 1000 --min-MQ 20 --redo-BAQ --indel-bias 0.75", "--multiallelic-caller"),
        (
            "--max-depth 1000 --min-MQ 20 --ambig-reads incAD --indel-bias 0.75",
            "--multiallelic-caller",
        ),
        ("--max-depth 1000 --min-MQ 20 --max-BQ 30 --ambig-reads incAD", "--multiallelic-caller"),
    ],
    "freebayes": [
        ("--min-alternate-fraction 0.2 --min-mapping-quality 20 --min-base-quality 20", ""),
        ("", ""),
        ("--min-mapping-quality 1", ""),
        ("--min-mapping-quality 1 --use-best-n-alleles 4", ""),
        ("--min-mapping-quality 1 --haplotype-length 10", ""),
        ("--min-mapping-quality 20", ""),
    ],
}
MIN_QUAL = (0, 1, 2, 3, 5, 10, 20, 30, 50)
MIN_DEPTH = (0, 3, 5, 8, 10)
FILTER_COLUMNS = (
    "dataset", "caller", "options", "filters", "filter", "failed_tp", "failed_fp",
)  # fmt: skip
COLUMNS = (
    "dataset", "caller", "options", "min_qual", "min_depth",
    "snv_tp", "snv_fp", "snv_fn", "snv_f1", "indel_tp", "indel_fp", "indel_fn", "indel_f1",
    "complex_truth", "complex_found",
)  # fmt: skip


def run(command: str) -> None:
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True)
    if result.returncode != 0:
        sys.exit(f"failed: {command}\n{result.stderr.decode()[-2000:]}")


def call(caller: str, options: tuple[str, str], bam: str, ref: str, out: Path) -> None:
    raw = out.with_suffix(".raw.vcf.gz")
    if caller == "bcftools":
        run(f"bcftools mpileup {options[0]} -a FORMAT/AD,FORMAT/DP,FORMAT/SP -f {ref} -Ou {bam}"
            f" | bcftools call {options[1]} --variants-only -a GQ -Oz -o {raw}")  # fmt: skip
    else:
        run(f"freebayes {options[0]} -f {ref} {bam} | bgzip -c > {raw}")
    run(f"bcftools norm --multiallelics -any --fasta-ref {ref} --check-ref w -Oz -o {out} {raw}")


def features(vcf: Path, caller: str, regions: RegionFilter, pass_only: bool = False):
    """(variants, QUAL, depth) of the calls' non-reference alleles inside the regions."""
    variants, quals, depths = [], [], []
    for record in VCF(str(vcf)):
        if pass_only and record.FILTER not in (None, "PASS"):
            continue
        alt = record.ALT[0] if record.ALT else "*"
        copies = sum(1 for allele in record.genotypes[0][:-1] if allele == 1)
        if alt == "*" or copies == 0:
            continue
        variant = Variant(record.CHROM, record.start, record.REF, alt, min(copies, 2))
        if variant not in regions:
            continue
        if caller == "freebayes":
            depth = int(record.format("RO")[0][0]) + int(np.sum(record.format("AO")[0]))
        else:
            depth = int(record.format("DP")[0][0])
        variants.append(variant)
        quals.append(record.QUAL or 0.0)
        depths.append(depth)
    return variants, np.array(quals), np.array(depths)


def site_filter_rows(filters: str, raw: Path, caller: str, regions, truth, match) -> list[dict]:
    """Each site filter alone and all filters together, scored on the calls they keep."""
    from varnode.filters.spec import load as load_filters

    variants, *_ = features(raw, caller, regions)
    baseline = match(truth, variants).outcome.query_matched
    right = dict(zip(variants, baseline, strict=True))
    spec = load_filters(filters)
    tags = set()
    for line in VCF(str(raw)).raw_header.splitlines():
        if line.startswith(("##INFO=<ID=", "##FORMAT=<ID=")):
            kind = "INFO" if line.startswith("##INFO") else "FORMAT"
            tags.add(f"{kind}/{line.split('ID=', 1)[1].split(',', 1)[0]}")
    rows = []
    for item in spec.site:
        if item.mask_bed or any(tag not in tags for tag in item.tags):
            continue
        kept_path = raw.with_name(f"{raw.name}.{item.name}.vcf.gz")
        run(f"bcftools view -e '{item.expression}' -Oz -o {kept_path} {raw}")
        kept, *_ = features(kept_path, caller, regions)
        rows.append(_filter_row(item.name, variants, kept, right, truth, match))
    filtered = raw.with_name(f"{raw.name}.filtered.vcf.gz")
    stats = raw.with_name(f"{raw.name}.stats.tsv")
    options = f"--filters {filters} --stats {stats}"
    run(f"{sys.executable} -m varnode filter {raw} -o {filtered} {options}")
    kept, *_ = features(filtered, caller, regions, pass_only=True)
    rows.append(_filter_row("all (PASS)", variants, kept, right, truth, match))
    return rows


def _filter_row(name, variants, kept, right, truth, match) -> dict:
    failed = set(variants) - set(kept)
    return {
        "filter": name,
        "failed_tp": sum(right[v] for v in failed),
        "failed_fp": sum(not right[v] for v in failed),
        **score(truth, kept, match),
    }


def truth_and_match(truth_vcf: str, ref: str, bed: str | None):
    """The truth's variants and a haplotype- and genotype-aware matcher of calls against
    them that sets aside what the truth leaves incomplete, as `varnode compare` does."""
    truth_set = load_call_set(truth_vcf, ref, None, bed, False)
    fetch = pysam.FastaFile(ref).fetch
    incomplete = unresolved_spanning_deletions(
        truth_set.spanning_deletions, truth_set.variants, fetch
    )
    return truth_set.variants, partial(
        match_haplotypes, fetch=fetch, genotype=True, unknown=incomplete
    )


def score(truth, calls, match) -> dict:
    """TP/FP/FN and F1 per type; variants where the truth is incomplete are left out."""
    outcome = match(truth, calls).outcome
    truth_outcomes = list(zip(truth, outcome.truth_matched, outcome.truth_unknown, strict=True))
    call_outcomes = list(zip(calls, outcome.query_matched, outcome.query_unknown, strict=True))
    row = {}
    for kind, prefix in (("SNV", "snv"), ("INDEL", "indel")):
        found = [ok for v, ok, unknown in truth_outcomes if v.kind == kind and not unknown]
        right = [ok for v, ok, unknown in call_outcomes if v.kind == kind and not unknown]
        tp, fp, fn = sum(found), len(right) - sum(right), len(found) - sum(found)
        precision = sum(right) / len(right) if right else 0.0
        recall = tp / len(found) if found else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        row.update({f"{prefix}_tp": tp, f"{prefix}_fp": fp, f"{prefix}_fn": fn,
                    f"{prefix}_f1": round(f1, 6)})  # fmt: skip
    complex_ids = [i for i, v in enumerate(truth) if len(v.ref) > 1 and len(v.alt) > 1]
    row["complex_truth"] = len(complex_ids)
    row["complex_found"] = sum(outcome.truth_matched[i] for i in complex_ids)
    return row


def write_tsv(path: str, columns: list[str], rows: list[dict]) -> None:
    """The sweeps' tables: a header of `columns`, one tab-separated line per row."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="TSV to write")
    parser.add_argument(
        "--filters", action="append", default=[], help="filters YAML to score (repeatable)"
    )
    parser.add_argument("--filters-out", help="TSV of the site filters' scores")
    parser.add_argument(
        "--callers", nargs="+", choices=sorted(OPTIONS), default=sorted(OPTIONS),
        help="callers whose option sets to sweep (default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--option-sets", nargs="+", type=int,
        help="numbers (0-based, per caller) of the OPTIONS entries to run (default: all)",
    )  # fmt: skip
    parser.add_argument("datasets", nargs="+", help="NAME=BAM,REF,TRUTH[,BED]")
    args = parser.parse_args()
    rows, filter_rows = [], []
    with tempfile.TemporaryDirectory(prefix="varnode-sweep-") as work:
        for spec in args.datasets:
            name, paths = spec.split("=", 1)
            bam, ref, truth_vcf, *bed = paths.split(",")
            regions = RegionFilter(read_bed(bed[0]) if bed else None)
            truth, match = truth_and_match(truth_vcf, ref, bed[0] if bed else None)
            for caller in args.callers:
                option_sets = OPTIONS[caller]
                for number, options in enumerate(option_sets):
                    if args.option_sets is not None and number not in args.option_sets:
                        continue
                    out = Path(work) / f"{name}.{caller}.{number}.vcf.gz"
                    call(caller, options, bam, ref, out)
                    variants, quals, depths = features(out, caller, regions)
                    label = " | ".join(o for o in options if o) or "(defaults)"
                    for filters in args.filters:
                        filter_rows += [
                            {"dataset": name, "caller": caller, "options": label,
                             "filters": filters, **row}
                            for row in site_filter_rows(filters, out, caller, regions, truth, match)
                        ]  # fmt: skip
                    for min_qual, min_depth in itertools.product(MIN_QUAL, MIN_DEPTH):
                        keep = (quals >= min_qual) & (depths >= min_depth)
                        kept = [v for v, ok in zip(variants, keep, strict=True) if ok]
                        rows.append({
                            "dataset": name, "caller": caller,
                            "options": " | ".join(o for o in options if o) or "(defaults)",
                            "min_qual": min_qual, "min_depth": min_depth,
                            **score(truth, kept, match),
                        })  # fmt: skip
                    best = max(rows[-len(MIN_QUAL) * len(MIN_DEPTH) :],
                               key=lambda r: (r["snv_f1"] + r["indel_f1"]))  # fmt: skip
                    raw = rows[-len(MIN_QUAL) * len(MIN_DEPTH)]
                    print(f"{name} {caller} [{rows[-1]['options']}] raw SNV {raw['snv_f1']}"
                          f" INDEL {raw['indel_f1']} cx {raw['complex_found']}/"
                          f"{raw['complex_truth']}; best q{best['min_qual']} d{best['min_depth']}"
                          f" SNV {best['snv_f1']} INDEL {best['indel_f1']}",
                          flush=True)  # fmt: skip
    write_tsv(args.out, COLUMNS, rows)
    if args.filters_out:
        write_tsv(args.filters_out, FILTER_COLUMNS + COLUMNS[5:], filter_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
