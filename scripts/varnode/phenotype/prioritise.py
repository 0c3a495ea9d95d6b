"""Rank a sample's variants by phenotype match and variant evidence, explaining each score.

    variant   = weighted mean of consequence, rarity, ClinVar and zygosity (each in [0, 1])
    score     = max(phenotype, 0.01) ** a  *  variant ** (1 - a)      (a = phenotype weight)

phenotype is the Lin best-match average between the patient's HPO terms and the gene's
(varnode.phenotype.index). The weighted geometric mean needs both a phenotype match and
damaging evidence for a high score: a common synonymous variant in a perfectly matching
gene, or a rare stop-gain in a gene unrelated to the phenotype, ranks below a rare
missense in a matching gene. The floor on phenotype keeps genes without HPO annotation
ordered by their variant evidence instead of all tied at zero.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from varnode.annotate.consequences import severity
from varnode.common.tables import CANDIDATES, VARIANTS
from varnode.errors import VarnodeError
from varnode.phenotype.index import Match, PhenotypeIndex, gene_matches, term_id

CARRIER = ("heterozygous", "homozygous", "hemizygous")
PHENOTYPE_FLOOR = 0.01
# Allele frequency at or below which a variant counts as fully rare (rarity 1).
RARE_AF = 1e-4
# A second damaging, rare heterozygous variant in the same gene may make a compound
# heterozygote, which weighs like a homozygous one.
DAMAGING = 0.4
RARE_FOR_COMPOUND = 0.01
CLINVAR_SCORES = {
    "pathogenic": 1.0,
    "likely_pathogenic": 0.9,
    "conflicting_interpretations_of_pathogenicity": 0.6,
    "conflicting_classifications_of_pathogenicity": 0.6,
    "uncertain_significance": 0.5,
    "likely_benign": 0.1,
    "benign": 0.0,
}
CLINVAR_NEUTRAL = 0.5  # absent from ClinVar, or a class such as drug_response
DEFAULT_WEIGHTS = {
    "phenotype": 0.5,
    "consequence": 0.4,
    "rarity": 0.3,
    "clinvar": 0.2,
    "zygosity": 0.1,
}
VARIANT_COMPONENTS = ("consequence", "rarity", "clinvar", "zygosity")
OUTPUT_COLUMNS = tuple(CANDIDATES.names)


def rarity(population_af: str) -> tuple[float, str]:
    """1 at or below RARE_AF (or absent), falling by 0.25 per tenfold commoner, 0 at AF 1."""
    if not population_af:
        return 1.0, "not in population data"
    frequency = float(population_af)
    if frequency <= RARE_AF:
        return 1.0, f"AF {frequency:.3g}"
    return max(0.0, math.log10(frequency) / math.log10(RARE_AF)), f"AF {frequency:.3g}"


def clinvar_score(significance: str) -> float:
    classes = [
        c.strip().lower() for c in significance.replace("/", "|").replace(",", "|").split("|")
    ]
    scores = [CLINVAR_SCORES[c] for c in classes if c in CLINVAR_SCORES]
    return max(scores) if scores else CLINVAR_NEUTRAL


@dataclass
class Candidate:
    row: dict[str, str]
    phenotype: float
    variant: float
    score: float
    explanation: str


def _possible_compound_genes(rows: list[dict[str, str]]) -> set[str]:
    counts: dict[str, int] = {}
    for row in rows:
        rare = not row["population_af"] or float(row["population_af"]) < RARE_FOR_COMPOUND
        damaging = severity(row["consequence"]) >= DAMAGING
        if row["gene"] and row["zygosity"] == "heterozygous" and rare and damaging:
            counts[row["gene"]] = counts.get(row["gene"], 0) + 1
    return {gene for gene, count in counts.items() if count >= 2}


def _describe_match(index: PhenotypeIndex, gene: str, match: Match | None) -> str:
    if not gene:
        return "no gene"
    if match is None or not match.best:
        return f"{gene} has no HPO phenotype annotation"
    best = max(match.best, key=lambda item: item[2])
    return (
        f"Lin best-match average vs {gene}'s {len(index.phenotypic(index.genes[gene]))} terms; "
        f"closest: {term_id(best[0])} {index.names[best[0]]} ~ {term_id(best[1])} "
        f"{index.names[best[1]]} {best[2]:.2f}"
    )


def prioritise(
    rows: list[dict[str, str]],
    patient: list[int],
    index: PhenotypeIndex,
    weights: dict[str, float],
    information_content: str = "omim",
    pass_only: bool = True,
) -> list[Candidate]:
    carriers = [
        row
        for row in rows
        if row["zygosity"] in CARRIER and (not pass_only or row["filter"] == "PASS")
    ]
    matches = gene_matches(
        index, patient, {r["gene"] for r in carriers if r["gene"]}, information_content
    )
    compound = _possible_compound_genes(carriers)
    variant_weight = sum(weights[c] for c in VARIANT_COMPONENTS)
    alpha = weights["phenotype"]
    candidates = []
    for row in carriers:
        match = matches.get(row["gene"])
        phenotype = match.score if match else 0.0
        rare, rare_note = rarity(row["population_af"])
        zygous = 1.0 if row["zygosity"] != "heterozygous" or row["gene"] in compound else 0.5
        components = {
            "consequence": severity(row["consequence"]),
            "rarity": rare,
            "clinvar": clinvar_score(row["clinvar_significance"]),
            "zygosity": zygous,
        }
        variant = sum(weights[c] * components[c] for c in VARIANT_COMPONENTS) / variant_weight
        score = max(phenotype, PHENOTYPE_FLOOR) ** alpha * variant ** (1 - alpha)
        zygosity_note = row["zygosity"] + (
            ", possible compound heterozygote" if row["gene"] in compound else ""
        )
        explanation = "; ".join(
            [
                f"phenotype {phenotype:.3f} ({_describe_match(index, row['gene'], match)})",
                f"consequence {row['consequence'] or 'none'} {components['consequence']:.2f}",
                f"rarity {rare:.2f} ({rare_note})",
                f"ClinVar {row['clinvar_significance'] or 'none'} {components['clinvar']:.2f}",
                f"zygosity {zygous:.2f} ({zygosity_note})",
                f"variant = weighted mean {variant:.3f}",
                f"score = max(phenotype, {PHENOTYPE_FLOOR})^{alpha:g} x variant^{1 - alpha:g}"
                f" = {score:.3f}",
            ]
        )
        candidates.append(Candidate(row, phenotype, variant, score, explanation))
    candidates.sort(
        key=lambda c: (-c.score, -c.phenotype, c.row["chrom"], int(c.row["pos"]), c.row["alt"])
    )
    return candidates


def read_variant_table(path: str | Path) -> list[dict[str, str]]:
    """The variant table's rows as text (missing values ''), its header checked."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in VARIANTS.names if c not in (reader.fieldnames or [])]
        if missing:
            raise VarnodeError(f"{path}: not a variant table, lacks column(s) {', '.join(missing)}")
        return list(reader)


def write_candidates(path: str | Path, candidates: list[Candidate], patient: list[int]) -> None:
    terms = ";".join(term_id(t) for t in patient)
    CANDIDATES.write(
        (
            {
                **candidate.row,
                "rank": rank,
                "phenotype_score": candidate.phenotype,
                "variant_score": candidate.variant,
                "score": candidate.score,
                "explanation": candidate.explanation,
                "hpo_terms": terms,
            }
            for rank, candidate in enumerate(candidates, start=1)
        ),
        path,
    )


def configure(parser) -> None:
    parser.add_argument("variants", help="variant table from `varnode annotation-table`")
    parser.add_argument("--hpo", required=True, help="the sample's HPO terms, ';'-separated")
    parser.add_argument("--sample", help="sample name for messages (default: from the table)")
    parser.add_argument("--index", required=True, help="phenotype index (varnode phenotype-index)")
    parser.add_argument("--output", "-o", required=True, help="ranked candidates TSV to write")
    parser.add_argument(
        "--information-content",
        choices=("omim", "gene"),
        default="omim",
        help="annotations the term information content is computed from (default omim)",
    )
    for name, default in DEFAULT_WEIGHTS.items():
        parser.add_argument(
            f"--weight-{name}",
            type=float,
            default=default,
            help=f"weight of the {name} component (default {default})",
        )
    parser.add_argument(
        "--include-filtered",
        action="store_true",
        help="rank variants that failed a filter too (default: PASS only)",
    )


def run(args) -> int:
    weights = {name: getattr(args, f"weight_{name}") for name in DEFAULT_WEIGHTS}
    if not 0 <= weights["phenotype"] <= 1:
        raise VarnodeError(f"--weight-phenotype {weights['phenotype']}: must lie in [0, 1]")
    if any(w < 0 for w in weights.values()) or not sum(weights[c] for c in VARIANT_COMPONENTS):
        raise VarnodeError("weights must be >= 0, and some variant-component weight > 0")
    rows = read_variant_table(args.variants)
    sample = args.sample or (rows[0]["sample"] if rows else "?")
    index = PhenotypeIndex.load(args.index)
    terms = [t for t in args.hpo.split(";") if t.strip()]
    patient, warnings = index.resolve(terms, f"sample {sample}, HPO terms")
    for warning in warnings:
        print(f"varnode prioritise: warning: {warning}", file=sys.stderr)
    if not patient:
        raise VarnodeError(f"sample {sample}: none of its HPO terms ({args.hpo}) is usable")
    candidates = prioritise(
        rows, patient, index, weights, args.information_content, not args.include_filtered
    )
    write_candidates(args.output, candidates, patient)
    top = candidates[0] if candidates else None
    print(
        f"{args.output}: {len(candidates)} candidates"
        + (
            f"; top: {top.row['gene'] or '-'} {top.row['chrom']}:{top.row['pos']} {top.score:.3f}"
            if top
            else ""
        )
    )
    return 0
