"""Beacon v2 ontology filters over the node's individuals.

A filter is an ontology term id (`"HP:0001250"`, or `{"id": ..., "includeDescendantTerms":
..., "similarity": ...}`); all filters of a request must hold (AND). How an id matches:

- an HPO term (`HP:`), `similarity: exact` (the default): the individual has the term or,
  with `includeDescendantTerms` (default true), a term below it in HPO;
- `similarity: high|medium|low` with HPO terms and/or OMIM:/ORPHA: diseases: all such
  filters of one level form one phenotype (a disease stands for its HPO-annotated
  terms), and the individual matches when the similarity of its phenotypic features to
  that phenotype reaches the level's bound. Similarity is the project's phenotype
  similarity (varnode.phenotype.index: Lin best-match average, OMIM information content) with
  the bounds of `varnode query`: high >= 0.7, medium >= 0.5, low >= 0.3;
- any other id (a disease such as MONDO:0100096, a drug such as NCIT:C64768, a
  measurement's assay or value such as a BRAF V600E biomarker, or a sex term
  NCIT:C16576 / NCIT:C20197) matches exactly the individual's diseases, treatments,
  measurements or sex.

Alphanumeric filters (`operator`/`value`) are refused with a 400: nothing here is
numeric, and silently ignoring a filter would over-report.
"""

from __future__ import annotations

from dataclasses import dataclass

from varnode.errors import VarnodeError
from varnode.federation.records import SEX_TERMS
from varnode.phenotype.index import DISEASE_ID, TERM_ID, PhenotypeIndex, parse_term
from varnode.phenotype.query import SIMILARITY_LEVELS

SIMILARITIES = ("exact", *SIMILARITY_LEVELS)


class FilterError(VarnodeError):
    """A filter the Beacon cannot apply (answered with 400)."""


@dataclass(frozen=True)
class Filter:
    id: str
    include_descendants: bool = True
    similarity: str = "exact"

    def summary(self) -> dict:
        return {
            "id": self.id,
            "includeDescendantTerms": self.include_descendants,
            "similarity": self.similarity,
        }


def parse_filters(raw) -> list[Filter]:
    """Filters from a POST body list (strings or objects) or a GET comma-separated string."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        raise FilterError(f"filters: expected a list, got {type(raw).__name__}")
    filters = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise FilterError(f"filters[{i}]: expected an ontology filter with an 'id'")
        if "operator" in item or "value" in item:
            raise FilterError(f"filters[{i}]: alphanumeric filters are not supported")
        similarity = item.get("similarity", "exact")
        if similarity not in SIMILARITIES:
            raise FilterError(f"filters[{i}]: similarity {similarity!r} not in {SIMILARITIES}")
        term = item["id"].strip()
        if similarity != "exact" and not (TERM_ID.match(term) or DISEASE_ID.match(term)):
            raise FilterError(
                f"filters[{i}]: similarity applies to HPO terms and OMIM:/ORPHA: diseases, "
                f"not {term}"
            )
        include = item.get("includeDescendantTerms", True)
        if not isinstance(include, bool):
            raise FilterError(f"filters[{i}]: includeDescendantTerms must be true or false")
        filters.append(Filter(term, include, similarity))
    return filters


@dataclass(frozen=True)
class Individual:
    id: str
    phenotypes: frozenset[int]  # HPO terms (alternative ids mapped), for exact matches
    scored: tuple[int, ...]  # its phenotypic-abnormality terms, for similarity
    other_terms: frozenset[str]  # diseases, treatments, measurement assays/values, sex


def individual(row: dict, index: PhenotypeIndex) -> Individual:
    where = f"individual {row['id']}"
    terms = {parse_term(t, where) for t in row["phenotypes"]}
    terms = {index.alternative_ids.get(t, t) for t in terms} & index.names.keys()
    # As prioritisation scores them: obsolete terms replaced, non-phenotypic ones left out.
    scored, _ = index.resolve(row["phenotypes"], where)
    others = {*row["diseases"], *row["treatments"], *row["measurements"]}
    others.add(SEX_TERMS[row["sex"]][0])
    return Individual(row["id"], frozenset(terms), tuple(sorted(scored)), frozenset(others))


class Matcher:
    """Which individuals satisfy a list of filters."""

    def __init__(self, individuals: list[Individual], index: PhenotypeIndex) -> None:
        self.individuals = individuals
        self.index = index

    def _exact(self, term: Filter, person: Individual) -> bool:
        if not TERM_ID.match(term.id):
            return term.id in person.other_terms
        wanted = self._known(term.id)
        if not term.include_descendants:
            return wanted in person.phenotypes
        return any(wanted in self.index.ancestors(t) for t in person.phenotypes)

    def _known(self, text: str) -> int:
        """An HPO term of the index (an alternative id mapped to its primary one)."""
        term = parse_term(text, "filter")
        term = self.index.alternative_ids.get(term, term)
        if term not in self.index.names:
            raise FilterError(f"filter {text}: unknown HPO term (HPO {self.index.hpo_version})")
        return term

    def _phenotype(self, terms: list[Filter]) -> list[int]:
        query, _ = self.index.query_terms([f.id for f in terms], "filters")
        if not query:
            raise FilterError(
                f"filters {', '.join(f.id for f in terms)}: no phenotypic-abnormality term"
            )
        return query

    def matching(self, filters: list[Filter]) -> list[str]:
        """Ids of the individuals matching every filter, in table order."""
        exact = [f for f in filters if f.similarity == "exact"]
        for f in exact:  # an unknown term is an error even when no individual is left
            if TERM_ID.match(f.id):
                self._known(f.id)
        phenotypes = {
            level: self._phenotype([f for f in filters if f.similarity == level])
            for level in SIMILARITY_LEVELS
            if any(f.similarity == level for f in filters)
        }
        found = []
        for person in self.individuals:
            if not all(self._exact(f, person) for f in exact):
                continue
            if all(
                person.scored
                and self.index.set_similarity(person.scored, query) >= SIMILARITY_LEVELS[level]
                for level, query in phenotypes.items()
            ):
                found.append(person.id)
        return found
