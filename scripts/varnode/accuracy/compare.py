"""`varnode compare`: precision, recall and F1 of calls against a truth set.

    varnode compare --truth T.vcf.gz [--regions BED] --ref ref.fa CALLS.vcf.gz --out PREFIX

Both VCFs are normalised the same way (bcftools norm: multi-allelic records split,
indels left-aligned and trimmed against the reference); only calls with FILTER PASS
(or '.') count unless --all-calls. Four matchings are reported, per SNV, INDEL and ALL:

  allele              same position, REF and ALT
  genotype            same position, REF, ALT and zygosity
  haplotype           same haplotype sequences, zygosity ignored (see accuracy.haplotypes)
  haplotype_genotype  same diploid haplotype sequences (vcfeval/hap.py-style)

The gap between allele and haplotype matching is what representation differences
cost; what haplotype matching still misses is real. Spanning-deletion (`*`) alleles
spell nothing; where the truth has one but not the deletion it refers to, the truth is
incomplete and the variants around it are not judged (counted as unknown, listed as
UNK_TRUTH/UNK_CALL; see accuracy.haplotypes). Writes PREFIX.tsv (one row per
method and type), PREFIX.json (the same plus the inputs) and PREFIX.discrepancies.tsv
(every FN and FP per method).
"""

from __future__ import annotations

import json

from varnode.accuracy import metrics
from varnode.accuracy.haplotypes import match_haplotypes, unresolved_spanning_deletions
from varnode.accuracy.matching import match_alleles
from varnode.accuracy.variants import load, load_call_set
from varnode.common.atomic import write_text_atomic
from varnode.common.tables import ACCURACY, DISCREPANCIES
from varnode.errors import VarnodeError

# (genotype-aware?, simple matching's name, haplotype matching's name)
METHODS = ((False, "allele", "haplotype"), (True, "genotype", "haplotype_genotype"))
ORDER = ["allele", "genotype", "haplotype", "haplotype_genotype"]


def configure(parser) -> None:
    parser.add_argument("calls", help="calls to assess (VCF/BCF, bgzipped + indexed or plain)")
    parser.add_argument("--truth", required=True, help="truth VCF")
    parser.add_argument("--ref", required=True, help="reference FASTA (indexed)")
    parser.add_argument("--regions", help="BED of confident regions to restrict both sides to")
    parser.add_argument(
        "-o",
        "--output",
        "--out",
        dest="out",
        required=True,
        help="output prefix (PREFIX.tsv, .json, ...)",
    )
    parser.add_argument("--sample", help="sample column of the calls (default: first)")
    parser.add_argument("--truth-sample", help="sample column of the truth (default: first)")
    parser.add_argument(
        "--all-calls", action="store_true", help="count filtered (non-PASS) calls too"
    )
    parser.add_argument(
        "--gap", type=int, default=10, help="bp between variants that may interact (10)"
    )


def compare(args) -> tuple[list[dict], list[dict], dict]:
    import pysam

    truth_set = load_call_set(
        args.truth, args.ref, args.truth_sample, args.regions, pass_only=False
    )
    truth = truth_set.variants
    calls = load(args.calls, args.ref, args.sample, args.regions, pass_only=not args.all_calls)
    try:
        fasta = pysam.FastaFile(args.ref)
    except (OSError, ValueError) as error:
        raise VarnodeError(f"--ref {args.ref}: cannot open as indexed FASTA ({error})") from None
    incomplete = unresolved_spanning_deletions(truth_set.spanning_deletions, truth, fasta.fetch)
    outcomes, clusters = {}, {}
    for genotype, simple_name, haplotype_name in METHODS:
        haplotype = match_haplotypes(
            truth, calls, fasta.fetch, genotype, gap=args.gap, unknown=incomplete
        )
        outcomes[simple_name] = match_alleles(truth, calls, genotype, unknown=haplotype.outcome)
        outcomes[haplotype_name] = haplotype.outcome
        clusters[haplotype_name] = {
            "clusters": haplotype.clusters,
            "fallback_clusters": haplotype.fallback_clusters,
            "unknown_clusters": haplotype.unknown_clusters,
        }
    clusters["incomplete_truth"] = [
        {"chrom": marker.chrom, "pos": marker.pos0 + 1} for marker in incomplete
    ]
    rows, errors = [], []
    for name in sorted(outcomes, key=ORDER.index):
        rows += metrics.summarise(name, truth, calls, outcomes[name])
        errors += metrics.discrepancies(name, truth, calls, outcomes[name])
    return rows, errors, clusters


def run(args) -> int:
    if args.gap < 0:
        raise VarnodeError(f"--gap {args.gap}: must be >= 0")
    rows, errors, clusters = compare(args)
    ACCURACY.write(rows, f"{args.out}.tsv")
    DISCREPANCIES.write(errors, f"{args.out}.discrepancies.tsv")
    report = {
        "truth": args.truth,
        "calls": args.calls,
        "reference": args.ref,
        "regions": args.regions or None,
        "pass_only": not args.all_calls,
        # truth positions with a `*` allele but not its deletion: not judged
        "incomplete_truth": clusters.pop("incomplete_truth"),
        "haplotype_clusters": clusters,
        "metrics": rows,
    }
    write_text_atomic(f"{args.out}.json", json.dumps(report, indent=2) + "\n")
    for row in rows:
        if row["type"] != "ALL":
            print(
                f"{row['method']:<19} {row['type']:<6} precision {row['precision']}"
                f" recall {row['recall']} F1 {row['f1']}"
            )
    return 0
