"""Per-sample QC over a cohort VCF: call rate, SNV/indel counts, Ti/Tv, het/hom-alt, sex.

One streaming pass in chunks (memory: one chunk of records x samples). Sex is inferred
from two independent signals, X heterozygosity and X (and Y) depth relative to the
autosomes, and reported "unknown" when the reference has no X chromosome or the data
hold too few X calls, "ambiguous" when the signals disagree.

Depth comes from each sample's mosdepth summary when given (the workflow does): the
cohort is merged from gVCFs, where a sample that is reference at a site reports its
reference block's minimum depth, not the site's, so the cohort's FORMAT/DP would pull
depth ratios down by how blocks fall. mosdepth counts every base of every contig.
Without summaries, FORMAT/DP over the cohort's records is used.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from varnode.cohort.allele_counts import read_sexes
from varnode.common.atomic import write_text_atomic
from varnode.common.config import config_default
from varnode.common.tables import SAMPLE_QC
from varnode.errors import VarnodeError
from varnode.filters.chunks import INDEL, SNV, GenotypeChunk, read_chunks

SHEET_SEX = {"M": "male", "F": "female", "U": "unknown"}
OUTLIER_METRICS = ("call_rate", "n_snv", "n_indel", "ti_tv", "het_hom_ratio")


@dataclass
class SexRules:
    """Where the sex chromosomes are and how their signals are read (config cohort.sex)."""

    x_contigs: tuple[str, ...]
    y_contigs: tuple[str, ...]
    mito_contigs: tuple[str, ...]
    # Pseudo-autosomal regions (1-based inclusive) are diploid in males: left out of X.
    par_regions: tuple[tuple[str, int, int], ...]
    min_x_calls: int
    male_max_x_het: float
    female_min_x_het: float
    male_max_x_depth_ratio: float
    male_min_y_depth_ratio: float


def parse_region(text: str) -> tuple[str, int, int]:
    try:
        contig, span = text.rsplit(":", 1)
        start, end = (int(part.replace(",", "")) for part in span.split("-"))
    except ValueError:
        raise VarnodeError(f"region {text!r}: expected contig:start-end") from None
    return contig, start, end


@dataclass
class SampleTotals:
    """Per-sample sums over records; additive, so shards or chunks simply add up."""

    n_samples: int
    n_sites: int = 0
    # Call rate counts autosomal sites: Y (and haploid X) calls depend on sex, not quality.
    n_autosomal_sites: int = 0
    called: np.ndarray = field(init=False)
    snv: np.ndarray = field(init=False)
    indel: np.ndarray = field(init=False)
    transitions: np.ndarray = field(init=False)
    transversions: np.ndarray = field(init=False)
    het: np.ndarray = field(init=False)
    hom_alt: np.ndarray = field(init=False)
    x_het: np.ndarray = field(init=False)
    x_hom_alt: np.ndarray = field(init=False)
    depth_sum: np.ndarray = field(init=False)  # (3, S): autosomes, X, Y
    depth_n: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        for name in ("called", "snv", "indel", "transitions", "transversions", "het", "hom_alt"):
            setattr(self, name, np.zeros(self.n_samples, dtype=np.int64))
        self.x_het = np.zeros(self.n_samples, dtype=np.int64)
        self.x_hom_alt = np.zeros(self.n_samples, dtype=np.int64)
        self.depth_sum = np.zeros((3, self.n_samples), dtype=np.float64)
        self.depth_n = np.zeros((3, self.n_samples), dtype=np.int64)

    def add(self, chunk: GenotypeChunk, rules: SexRules) -> None:
        first, second = chunk.alleles[..., 0], chunk.alleles[..., 1]
        called = (first >= 0) | (second >= 0)
        diploid = (first >= 0) & (second >= 0)
        non_ref = (first > 0) | (second > 0)
        het = diploid & (first != second)
        # Homozygous or hemizygous ALT: every called allele is the same ALT.
        hom_alt = non_ref & ~het
        on_x, on_y, autosomal = _contig_classes(chunk, rules)
        self.n_sites += len(chunk)
        self.n_autosomal_sites += int(autosomal.sum())
        self.called += _count(called, autosomal)
        self.snv += _count(non_ref, chunk.kinds == SNV)
        self.indel += _count(non_ref, chunk.kinds == INDEL)
        biallelic_snv = (chunk.kinds == SNV) & (chunk.n_alleles == 2)
        self.transitions += _count(non_ref, biallelic_snv & chunk.transitions)
        self.transversions += _count(non_ref, biallelic_snv & ~chunk.transitions)
        self.het += _count(het, autosomal)
        self.hom_alt += _count(hom_alt, autosomal)
        self.x_het += _count(het, on_x)
        self.x_hom_alt += _count(hom_alt, on_x)
        has_depth = chunk.depth >= 0
        for row, records in enumerate((autosomal, on_x, on_y)):
            depth_here = has_depth & records[:, None]
            self.depth_sum[row] += np.where(depth_here, chunk.depth, 0).sum(axis=0)
            self.depth_n[row] += depth_here.sum(axis=0)


def _count(per_call: np.ndarray, records: np.ndarray) -> np.ndarray:
    return per_call[records].sum(axis=0)


def _contig_classes(chunk: GenotypeChunk, rules: SexRules):
    on_x = np.isin(chunk.chroms, rules.x_contigs)
    for contig, start, end in rules.par_regions:
        on_x &= ~((chunk.chroms == contig) & (chunk.positions >= start) & (chunk.positions <= end))
    on_y = np.isin(chunk.chroms, rules.y_contigs)
    sex_or_mito = np.isin(chunk.chroms, rules.x_contigs + rules.y_contigs + rules.mito_contigs)
    return on_x, on_y, ~sex_or_mito


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def infer_sex(
    x_het_fraction: float | None,
    x_calls: int,
    x_depth_ratio: float | None,
    y_depth_ratio: float | None,
    has_x: bool,
    rules: SexRules,
) -> tuple[str, str]:
    """(male | female | ambiguous | unknown, the evidence in words)."""
    if not has_x:
        return "unknown", "reference has no X chromosome"
    if x_calls < rules.min_x_calls or x_het_fraction is None:
        return "unknown", f"{x_calls} X variant calls (< {rules.min_x_calls})"
    votes = {}
    if x_het_fraction <= rules.male_max_x_het:
        votes["X heterozygosity"] = "male"
    elif x_het_fraction >= rules.female_min_x_het:
        votes["X heterozygosity"] = "female"
    if x_depth_ratio is not None:
        male = x_depth_ratio <= rules.male_max_x_depth_ratio
        votes["X depth"] = "male" if male else "female"
    if y_depth_ratio is not None:
        male = y_depth_ratio >= rules.male_min_y_depth_ratio
        votes["Y depth"] = "male" if male else "female"
    evidence = ", ".join(f"{signal}: {sex}" for signal, sex in votes.items()) or "no signal"
    calls = set(votes.values())
    if len(calls) == 1:
        return calls.pop(), evidence
    return ("ambiguous" if calls else "unknown"), evidence


@dataclass
class QcThresholds:
    min_call_rate: float
    outlier_mads: float
    min_samples_for_outliers: int


MOSDEPTH_SUMMARY = ".mosdepth.summary.txt"


def read_depth_summary(path: str) -> dict[str, tuple[int, int]]:
    """Contig -> (length, bases) from a mosdepth summary (whole-contig rows only)."""
    contigs = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise VarnodeError(f"{path}: cannot read the mosdepth summary: {error}") from None
    if not lines or lines[0].split("\t")[:3] != ["chrom", "length", "bases"]:
        raise VarnodeError(f"{path}: not a mosdepth summary (header chrom, length, bases)")
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        try:
            contig, length, bases = fields[0], int(fields[1]), int(fields[2])
        except (IndexError, ValueError):
            raise VarnodeError(f"{path}, line {number}: expected chrom, length, bases") from None
        if contig != "total" and not contig.endswith("_region"):
            contigs[contig] = (length, bases)
    return contigs


def summary_depths(paths: list[str], rules: SexRules) -> dict[str, list[float | None]]:
    """Sample (the summary's file name before .mosdepth.summary.txt) -> mean depth of the
    autosomes, X and Y, weighted by contig length."""
    depths = {}
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        if not name.endswith(MOSDEPTH_SUMMARY):
            raise VarnodeError(f"{path}: expected a file named <sample>{MOSDEPTH_SUMMARY}")
        sums = np.zeros((3, 2))
        for contig, (length, bases) in read_depth_summary(path).items():
            if contig in rules.x_contigs:
                row = 1
            elif contig in rules.y_contigs:
                row = 2
            elif contig in rules.mito_contigs:
                continue
            else:
                row = 0
            sums[row] += (length, bases)
        depths[name.removesuffix(MOSDEPTH_SUMMARY)] = [_ratio(b, n) for n, b in sums]
    return depths


def sample_qc(
    vcf: str,
    sexes: dict[str, str],
    rules: SexRules,
    thresholds: QcThresholds,
    chunk_size: int,
    depth_summaries: list[str] | None = None,
) -> dict:
    reader, chunks = read_chunks(vcf, chunk_size)
    samples = list(reader.samples)
    has_x = any(contig in rules.x_contigs for contig in reader.seqnames)
    has_y = any(contig in rules.y_contigs for contig in reader.seqnames)
    totals = SampleTotals(len(samples))
    for chunk in chunks:
        totals.add(chunk, rules)
    reader.close()
    tracked = summary_depths(depth_summaries, rules) if depth_summaries else None
    if tracked is not None and set(tracked) != set(samples):
        raise VarnodeError(
            f"depth summaries are for {sorted(tracked)}, the cohort holds {sorted(samples)}"
        )
    rows = []
    for index, sample in enumerate(samples):
        mean_depth = (
            tracked[sample]
            if tracked is not None
            else [_ratio(totals.depth_sum[k, index], totals.depth_n[k, index]) for k in range(3)]
        )
        x_calls = int(totals.x_het[index] + totals.x_hom_alt[index])
        x_het_fraction = _ratio(totals.x_het[index], x_calls)
        x_depth_ratio = _ratio(mean_depth[1] or 0, mean_depth[0]) if has_x else None
        y_depth_ratio = _ratio(mean_depth[2] or 0, mean_depth[0]) if has_y else None
        sex, evidence = infer_sex(
            x_het_fraction, x_calls, x_depth_ratio, y_depth_ratio, has_x, rules
        )
        rows.append(
            {
                "sample": sample,
                "sheet_sex": SHEET_SEX[sexes.get(sample, "U")],
                "inferred_sex": sex,
                "sex_evidence": evidence,
                "n_autosomal_sites": totals.n_autosomal_sites,
                "n_called_autosomal": int(totals.called[index]),
                "call_rate": _ratio(totals.called[index], totals.n_autosomal_sites),
                "n_snv": int(totals.snv[index]),
                "n_indel": int(totals.indel[index]),
                "n_transitions": int(totals.transitions[index]),
                "n_transversions": int(totals.transversions[index]),
                "ti_tv": _ratio(totals.transitions[index], totals.transversions[index]),
                "n_het": int(totals.het[index]),
                "n_hom_alt": int(totals.hom_alt[index]),
                "het_hom_ratio": _ratio(totals.het[index], totals.hom_alt[index]),
                "x_variant_calls": x_calls,
                "x_het_fraction": x_het_fraction,
                "mean_depth_autosomes": mean_depth[0],
                "x_depth_ratio": x_depth_ratio,
                "y_depth_ratio": y_depth_ratio,
            }
        )
    outlier_test = _flag(rows, thresholds)
    return {
        "vcf": str(vcf),
        "depth_source": "mosdepth summaries" if tracked is not None else "FORMAT/DP",
        "n_samples": len(samples),
        "n_sites": totals.n_sites,
        "sex_chromosomes_in_reference": {"X": has_x, "Y": has_y},
        "thresholds": asdict(thresholds),
        "sex_rules": asdict(rules),
        "outlier_test": outlier_test,
        "samples": rows,
    }


def _flag(rows: list[dict], thresholds: QcThresholds) -> str:
    """Add each row's `flags` list; return how outliers were (or were not) tested."""
    for row in rows:
        row["flags"] = []
        if row["call_rate"] is not None and row["call_rate"] < thresholds.min_call_rate:
            row["flags"].append("low_call_rate")
        known = {"male", "female"}
        sexes = (row["sheet_sex"], row["inferred_sex"])
        if set(sexes) <= known and sexes[0] != sexes[1]:
            row["flags"].append("sex_mismatch")
        if row["inferred_sex"] == "ambiguous":
            row["flags"].append("sex_ambiguous")
    if len(rows) < thresholds.min_samples_for_outliers:
        return (
            f"skipped: {len(rows)} samples, robust outlier test needs "
            f"{thresholds.min_samples_for_outliers}"
        )
    for metric in OUTLIER_METRICS:
        values = np.array([np.nan if r[metric] is None else r[metric] for r in rows], dtype=float)
        for row, z in zip(rows, robust_z(values), strict=True):
            if abs(z) > thresholds.outlier_mads:
                row["flags"].append(f"outlier_{metric}")
    return f"median +- {thresholds.outlier_mads} x scaled MAD per metric"


def robust_z(values: np.ndarray) -> np.ndarray:
    """(value - median) / (1.4826 MAD); 0 where undefined (no spread or missing)."""
    median = np.nanmedian(values)
    mad = 1.4826 * np.nanmedian(np.abs(values - median))
    if not mad or math.isnan(mad):
        return np.zeros_like(values)
    z = (values - median) / mad
    return np.nan_to_num(z, nan=0.0)


def qc_table(report: dict) -> str:
    """The per-sample table (common.tables.SAMPLE_QC); no flags is PASS."""
    rows = [{**row, "flags": ";".join(row["flags"]) or "PASS"} for row in report["samples"]]
    return SAMPLE_QC.to_tsv(SAMPLE_QC.frame(rows))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vcf", help="cohort VCF/BCF with GT (and FORMAT/DP for sex by depth)")
    parser.add_argument("--sexes", required=True, help="`varnode cohort-members` table")
    parser.add_argument(
        "-o",
        "--output",
        "--tsv",
        dest="tsv",
        required=True,
        help="output table, one row per sample",
    )
    parser.add_argument("--json", required=True, help="output JSON (table + settings)")
    # Defaults: config cohort.chunk_size, cohort.qc and cohort.sex (the schema's).
    parser.add_argument("--chunk-size", type=int, default=config_default("cohort", "chunk_size"))
    parser.add_argument(
        "--depth-summaries",
        nargs="*",
        help="<sample>.mosdepth.summary.txt of every sample: depth for sex (default: FORMAT/DP)",
    )
    qc = config_default("cohort", "qc")
    parser.add_argument("--min-call-rate", type=float, default=qc["min_call_rate"])
    parser.add_argument("--outlier-mads", type=float, default=qc["outlier_mads"])
    parser.add_argument(
        "--min-samples-for-outliers", type=int, default=qc["min_samples_for_outliers"]
    )
    sex = config_default("cohort", "sex")
    parser.add_argument("--x-contigs", nargs="*", default=sex["x_contigs"])
    parser.add_argument("--y-contigs", nargs="*", default=sex["y_contigs"])
    parser.add_argument("--mito-contigs", nargs="*", default=sex["mito_contigs"])
    parser.add_argument(
        "--par", nargs="*", default=sex["par_regions"], help="PAR regions, contig:start-end"
    )
    parser.add_argument("--min-x-calls", type=int, default=sex["min_x_calls"])
    parser.add_argument("--male-max-x-het", type=float, default=sex["male_max_x_het"])
    parser.add_argument("--female-min-x-het", type=float, default=sex["female_min_x_het"])
    parser.add_argument(
        "--male-max-x-depth-ratio", type=float, default=sex["male_max_x_depth_ratio"]
    )
    parser.add_argument(
        "--male-min-y-depth-ratio", type=float, default=sex["male_min_y_depth_ratio"]
    )


def run(args: argparse.Namespace) -> int:
    rules = SexRules(
        x_contigs=tuple(args.x_contigs),
        y_contigs=tuple(args.y_contigs),
        mito_contigs=tuple(args.mito_contigs),
        par_regions=tuple(parse_region(region) for region in args.par),
        min_x_calls=args.min_x_calls,
        male_max_x_het=args.male_max_x_het,
        female_min_x_het=args.female_min_x_het,
        male_max_x_depth_ratio=args.male_max_x_depth_ratio,
        male_min_y_depth_ratio=args.male_min_y_depth_ratio,
    )
    thresholds = QcThresholds(args.min_call_rate, args.outlier_mads, args.min_samples_for_outliers)
    report = sample_qc(
        args.vcf,
        read_sexes(args.sexes),
        rules,
        thresholds,
        args.chunk_size,
        args.depth_summaries,
    )
    write_text_atomic(args.tsv, qc_table(report))
    write_text_atomic(args.json, json.dumps(report, indent=2) + "\n")
    flagged = sum(1 for row in report["samples"] if row["flags"])
    print(f"{args.tsv}: {report['n_samples']} samples, {flagged} flagged")
    return 0
