"""`varnode consensus`: one call set from two callers, decided record by record.

    varnode consensus --ref ref.fa --represent freebayes \
        --calls bcftools=A.filtered.vcf.gz --calls freebayes=B.filtered.vcf.gz \
        [--single-min-qual bcftools=Q] [--single-min-qual freebayes=Q] OUT.vcf.gz

Both inputs' PASS calls are normalised as `varnode compare` normalises them and
matched with its haplotype-aware, genotype-aware matching (accuracy.haplotypes), so
that an MNP from one caller agrees with two SNVs from the other, and an indel placed
differently in a repeat agrees with itself. Each call then gets one decision, written
to INFO/CONSENSUS (and the callers that support it to INFO/CALLERS):

  both          both callers spell the same diploid haplotypes here. Written once, as
                the --represent caller wrote it (freebayes: one record per MNP/DELINS);
                the other caller's matching records are not repeated. PASS.
  <caller>_only only this caller called anything here. PASS when its QUAL reaches the
                caller's --single-min-qual, else FILTER SingleCaller.
  conflict      both callers called something here, but different haplotypes. The
                --represent caller's calls are written with FILTER CallerConflict
                (or PASS with --pass-conflicts), the other's are not written.

The rule shipped in the config (config consensus) was chosen by measured F1 on the
simulated and real truth sets (tests/accuracy/sweep_consensus.tsv, docs/filtering.md).
Output: bgzipped VCF with a .tbi, one sample, GT only, REF/ALT normalised.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from varnode.accuracy.haplotypes import clusters, match_haplotypes
from varnode.accuracy.variants import Variant, load
from varnode.errors import VarnodeError
from varnode.simulation.files import write_indexed_vcf

FILTERS = {
    "SingleCaller": "Called by one caller only, with QUAL below that caller's minimum",
    "CallerConflict": "The callers called different haplotypes here",
}


@dataclass(frozen=True)
class Rule:
    represent: str  # whose records stand for agreed and conflicting calls
    single_min_qual: dict[str, float]  # caller -> minimum QUAL of a one-caller call to PASS
    pass_conflicts: bool = False


@dataclass(frozen=True)
class Decision:
    variant: Variant
    caller: str
    consensus: str  # both | <caller>_only | conflict
    callers: tuple[str, ...]
    passed: bool
    filter: str  # PASS or the failed consensus filter


def decide(calls: dict[str, list[Variant]], fetch, rule: Rule, gap: int = 10) -> list[Decision]:
    """Decisions for the two callers' calls, in position order. `fetch(chrom, start, end)`
    returns reference sequence."""
    if len(calls) != 2 or rule.represent not in calls:
        raise VarnodeError(f"consensus needs two callers including {rule.represent!r}")
    (first, first_calls), (second, second_calls) = calls.items()
    outcome = match_haplotypes(first_calls, second_calls, fetch, genotype=True, gap=gap).outcome
    matched = {first: outcome.truth_matched, second: outcome.query_matched}
    sides = {first: 0, second: 1}
    decisions = []
    for cluster in clusters(first_calls, second_calls, gap):
        both_called = bool(cluster[0]) and bool(cluster[1])
        for caller, variants in calls.items():
            for index in cluster[sides[caller]]:
                variant, agreed = variants[index], matched[caller][index]
                if (agreed or both_called) and caller != rule.represent:
                    continue  # the represent caller's records stand for this locus
                if agreed:
                    decision = ("both", (first, second), True, "")
                elif both_called:
                    decision = ("conflict", (caller,), rule.pass_conflicts, "CallerConflict")
                else:
                    minimum = rule.single_min_qual.get(caller, 0.0)
                    passed = (variant.qual or 0.0) >= minimum
                    decision = (f"{caller}_only", (caller,), passed, "SingleCaller")
                consensus, supporting, passed, failed_filter = decision
                status = "PASS" if passed else failed_filter
                decisions.append(Decision(variant, caller, consensus, supporting, passed, status))
    decisions.sort(key=lambda d: (d.variant.chrom, d.variant.pos0, d.variant.end, d.variant.alt))
    return decisions


def vcf_text(decisions: list[Decision], contigs: list[tuple[str, int]], sample: str) -> str:
    lines = [
        "##fileformat=VCFv4.2",
        "##source=varnode consensus",
        *(f"##contig=<ID={name},length={length}>" for name, length in contigs),
        *(f'##FILTER=<ID={name},Description="{text}">' for name, text in FILTERS.items()),
        '##INFO=<ID=CONSENSUS,Number=1,Type=String,Description="Consensus decision:'
        ' both, <caller>_only or conflict (varnode consensus)">',
        '##INFO=<ID=CALLERS,Number=.,Type=String,Description="Callers that called this haplotype">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
        ),
    ]
    order = {name: number for number, (name, _) in enumerate(contigs)}
    for d in sorted(decisions, key=lambda d: (order[d.variant.chrom], d.variant.pos0)):
        v = d.variant
        qual = "." if v.qual is None else f"{v.qual:g}"
        info = f"CONSENSUS={d.consensus};CALLERS={','.join(d.callers)}"
        fields = [v.chrom, str(v.pos0 + 1), ".", v.ref, v.alt, qual, d.filter, info]
        lines.append("\t".join([*fields, "GT", v.genotype]))
    return "\n".join(lines) + "\n"


def _named(values: list[str], option: str) -> dict[str, str]:
    named = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise VarnodeError(f"{option} {value!r}: expected CALLER=VALUE")
        named[name] = rest
    return named


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", required=True, help="consensus .vcf.gz (a .tbi is written beside it)"
    )
    parser.add_argument(
        "--calls", action="append", required=True, help="CALLER=VCF, twice (PASS calls count)"
    )
    parser.add_argument("--ref", required=True, help="reference FASTA (indexed)")
    parser.add_argument("--represent", required=True, help="caller whose records are written")
    parser.add_argument(
        "--single-min-qual",
        action="append",
        default=[],
        help="CALLER=QUAL: a one-caller call passes from this QUAL (default 0)",
    )
    parser.add_argument(
        "--pass-conflicts", action="store_true", help="PASS the represent caller's conflicts"
    )
    parser.add_argument("--sample", default="", help="sample name (default: the first input's)")


def run(args) -> int:
    import pysam

    paths = _named(args.calls, "--calls")
    if len(paths) != 2:
        raise VarnodeError(f"--calls: need exactly two callers, got {', '.join(paths) or 'none'}")
    try:
        named = _named(args.single_min_qual, "--single-min-qual")
        minimums = {caller: float(qual) for caller, qual in named.items()}
    except ValueError as error:
        raise VarnodeError(f"--single-min-qual: {error}") from None
    unknown = (set(minimums) | {args.represent}) - set(paths)
    if unknown:
        raise VarnodeError(f"callers {sorted(unknown)} are not among --calls {sorted(paths)}")
    try:
        fasta = pysam.FastaFile(args.ref)
    except (OSError, ValueError) as error:
        raise VarnodeError(f"--ref {args.ref}: cannot open as indexed FASTA ({error})") from None
    calls = {name: load(path, args.ref, None, None, pass_only=True) for name, path in paths.items()}
    sample = args.sample or pysam.VariantFile(paths[args.represent]).header.samples[0]
    decisions = decide(calls, fasta.fetch, Rule(args.represent, minimums, args.pass_conflicts))
    contigs = list(zip(fasta.references, fasta.lengths, strict=True))
    write_indexed_vcf(Path(args.output), vcf_text(decisions, contigs, sample))
    counts: dict[str, int] = {}
    for decision in decisions:
        key = f"{decision.consensus} {decision.filter}"
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        print(f"{key}\t{counts[key]}")
    return 0
