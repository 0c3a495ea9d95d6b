"""The node's data as the Beacon queries it: an embedded DuckDB over Parquet, read only.

Views: `frequencies` (the aggregate export, floor applied; varnode.federation.export_table),
`individuals` and `carriers` (the node's own tables; varnode.federation.node_index).
Genomic request parameters become one SQL condition (values always bound, never
pasted into the SQL); coordinates follow Beacon v2: 0-based, half-open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from varnode.errors import VarnodeError
from varnode.federation.export_table import TOTAL_POPULATION, NodeExport, register, sql_literal

GENOMIC_PARAMETERS = (
    "assemblyId",
    "referenceName",
    "start",
    "end",
    "referenceBases",
    "alternateBases",
    "variantType",
    "geneId",
)
# Beacon variantType -> condition on the allele lengths.
VARIANT_TYPES = {
    "SNP": "length(ref) = 1 AND length(alt) = 1",
    "MNP": "length(ref) = length(alt) AND length(ref) > 1",
    "INDEL": "length(ref) <> length(alt)",
    "DEL": "length(ref) > length(alt)",
    "INS": "length(ref) < length(alt)",
}
ASSEMBLY_SYNONYMS = {"hg38": "grch38", "hg19": "grch37", "grch38": "grch38", "grch37": "grch37"}


class RequestError(VarnodeError):
    """A request parameter the Beacon cannot use (answered with 400)."""


def variant_id(chrom: str, pos: int, ref: str, alt: str) -> str:
    return f"{chrom}-{pos}-{ref}-{alt}"


def parse_variant_id(text: str) -> tuple[str, int, str, str]:
    parts = text.rsplit("-", 3)
    if len(parts) != 4 or not parts[1].isdigit():
        raise RequestError(f"variant id {text!r}: expected CHROM-POS-REF-ALT")
    return parts[0], int(parts[1]), parts[2], parts[3]


def _integers(value, name: str) -> list[int]:
    values = value if isinstance(value, list) else str(value).split(",")
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise RequestError(f"{name}: {value!r} is not an integer (or a list of them)") from None


@dataclass
class GenomicQuery:
    """The genomic request parameters of a g_variants (or individuals) request."""

    parameters: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: dict) -> GenomicQuery:
        unknown = sorted(set(raw) - set(GENOMIC_PARAMETERS))
        if unknown:
            raise RequestError(
                f"unknown request parameter(s) {', '.join(unknown)} "
                f"(supported: {', '.join(GENOMIC_PARAMETERS)})"
            )
        parameters = {k: v for k, v in raw.items() if v not in (None, "", [])}
        if "variantType" in parameters and parameters["variantType"] not in VARIANT_TYPES:
            raise RequestError(
                f"variantType {parameters['variantType']!r} not in {', '.join(VARIANT_TYPES)}"
            )
        for name in ("start", "end"):
            if name in parameters:
                parameters[name] = _integers(parameters[name], name)
        if "end" in parameters and "start" not in parameters:
            raise RequestError("end needs start")
        return cls(parameters)

    @property
    def given(self) -> bool:
        return bool(self.parameters)

    def assembly_matches(self, assembly: str) -> bool:
        wanted = self.parameters.get("assemblyId")
        if not wanted:
            return True
        key = str(wanted).lower()
        return ASSEMBLY_SYNONYMS.get(key, key) == ASSEMBLY_SYNONYMS.get(
            assembly.lower(), assembly.lower()
        )

    def condition(self) -> tuple[str, list]:
        """SQL condition on columns chrom pos ref alt gene, and its bound values."""
        p, clauses, values = self.parameters, ["TRUE"], []
        if "referenceName" in p:
            clauses.append("regexp_replace(chrom, '^chr', '') = ?")
            values.append(str(p["referenceName"]).removeprefix("chr"))
        if "start" in p:
            start = p["start"][0]
            if "end" in p:  # a range query: alleles overlapping [start, end)
                clauses.append("pos - 1 < ? AND pos - 1 + length(ref) > ?")
                values += [p["end"][-1], start]
            else:  # a sequence query: the allele starting at start
                clauses.append("pos - 1 = ?")
                values.append(start)
        for name, column in (("referenceBases", "ref"), ("alternateBases", "alt")):
            if name in p:
                clauses.append(f"{column} = ?")
                values.append(str(p[name]).upper())
        if "variantType" in p:
            clauses.append(VARIANT_TYPES[p["variantType"]])
        if "geneId" in p:
            clauses.append("gene = ?")
            values.append(str(p["geneId"]))
        return " AND ".join(clauses), values


@dataclass(frozen=True)
class Variant:
    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str | None
    consequence: str | None
    carriers: tuple[tuple[str, str], ...] = ()  # (individual id, zygosity)

    @property
    def id(self) -> str:
        return variant_id(self.chrom, self.pos, self.ref, self.alt)


class NodeData:
    """DuckDB views over the export and the node's tables; one cursor per request."""

    def __init__(self, export: NodeExport, index_dir: Path) -> None:
        self.export = export
        self.connection = duckdb.connect(":memory:")
        register(self.connection, export)
        for name in ("individuals", "carriers"):
            path = Path(index_dir) / f"{name}.parquet"
            if not path.is_file():
                raise VarnodeError(f"{path}: not found (build it with `varnode beacon index`)")
            source = f"read_parquet({sql_literal(path)})"
            self.connection.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")

    def cursor(self):
        return self.connection.cursor()

    def individual_rows(self) -> list[dict]:
        cursor = self.cursor()
        result = cursor.execute("SELECT * FROM individuals ORDER BY id")
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def individual_records(self, ids: list[str]) -> list[dict]:
        rows = self.cursor().execute(
            "SELECT record FROM individuals WHERE list_contains(?, id) ORDER BY id", [ids]
        )
        return [json.loads(record) for (record,) in rows.fetchall()]

    # --- the aggregate export (public) ------------------------------------------------

    def aggregate_exists(self, query: GenomicQuery) -> bool:
        if not query.assembly_matches(self.export.assembly):
            return False
        where, values = query.condition()
        row = self.cursor().execute(
            f"SELECT count(*) FROM frequencies WHERE population = ? AND ac > 0 AND {where}",
            [TOTAL_POPULATION, *values],
        )
        return row.fetchone()[0] > 0

    def frequencies(self, variants: list[Variant]) -> dict[str, list[dict]]:
        """Served strata of the export for each variant, by variant id."""
        if not variants:
            return {}
        keys = [v.id for v in variants]
        rows = self.cursor().execute(
            "SELECT chrom, pos, ref, alt, population, af, ac, an, ac_hom, ac_het, ac_hemi "
            "FROM frequencies WHERE list_contains(?, chrom || '-' || pos || '-' || ref || "
            "'-' || alt) ORDER BY population <> ?, population",
            [keys, TOTAL_POPULATION],
        )
        found: dict[str, list[dict]] = {}
        for chrom, pos, ref, alt, *counts in rows.fetchall():
            names = ("population", "af", "ac", "an", "ac_hom", "ac_het", "ac_hemi")
            found.setdefault(variant_id(chrom, pos, ref, alt), []).append(
                dict(zip(names, counts, strict=True))
            )
        return found

    # --- individual-level (count and record tiers) --------------------------------------

    def carried_variants(self, query: GenomicQuery, individuals: list[str] | None) -> list[Variant]:
        """Variants carried by the given individuals (all when None), with their carriers."""
        if not query.assembly_matches(self.export.assembly):
            return []
        where, values = query.condition()
        if individuals is not None:
            where += " AND list_contains(?, individual_id)"
            values.append(individuals)
        rows = self.cursor().execute(
            "SELECT chrom, pos, ref, alt, any_value(gene), any_value(consequence), "
            "list(individual_id ORDER BY individual_id), "
            "list(zygosity ORDER BY individual_id) "
            f"FROM carriers WHERE {where} GROUP BY chrom, pos, ref, alt "
            "ORDER BY chrom, pos, ref, alt",
            values,
        )
        return [
            Variant(c, p, r, a, g, q, tuple(zip(ids, zyg, strict=True)))
            for c, p, r, a, g, q, ids, zyg in rows.fetchall()
        ]

    def carriers_of(self, query: GenomicQuery, individuals: list[str] | None) -> list[str]:
        """Individuals (of those given) carrying a variant that matches the query."""
        carriers = {i for v in self.carried_variants(query, individuals) for i, _ in v.carriers}
        return sorted(carriers)
