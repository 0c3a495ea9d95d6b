"""Filter specifications: `filters.yaml` loaded, validated and compiled.

A filter names a condition under which a site or a genotype FAILS. Site filters
compile to `bcftools filter` soft-filter arguments (htslib evaluates them in C, with
bcftools' semantics by construction); genotype filters compile to numpy predicates run
by `varnode.filters.genotype`, and also to the equivalent bcftools expression, which
the screen of records with a failing genotype (`varnode.filters.command`), the equivalence
tests and the benchmark run.

Semantics follow bcftools: a missing value (`.`) never fails a filter, except under
`!=` (bcftools holds `. != x` true).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from varnode.common.config import SCHEMA_DIR
from varnode.errors import VarnodeError

SCHEMA = SCHEMA_DIR / "filters.schema.yaml"
TAG_IN_EXPRESSION = re.compile(r"\b(INFO|FMT|FORMAT)/(\w+)")
# Derived genotype metrics, computed from FORMAT/AD and GT (see filters.schema.yaml).
DERIVED = {
    # Fraction of reads supporting any ALT allele, at genotypes carrying an ALT allele.
    "VAF": ('GT="alt"', "1-FMT/AD[:0]/smpl_sum(FMT/AD)"),
    # The same fraction at REF/ALT heterozygous genotypes (0/1, 0/2, ...; not 1/2).
    "AB": ('GT="RA"', "1-FMT/AD[:0]/smpl_sum(FMT/AD)"),
}


@dataclass(frozen=True)
class Comparison:
    """`value op threshold`, or outside [low, high] when op is `outside`."""

    op: str
    threshold: float | tuple[float, float]

    def bcftools(self, operand: str) -> str:
        if self.op == "outside":
            low, high = self.threshold  # type: ignore[misc]
            return f"({operand}<{low} || {operand}>{high})"
        return f"{operand}{self.op}{self.threshold}"


@dataclass(frozen=True)
class SiteFilter:
    name: str
    description: str
    expression: str = ""  # bcftools expression that is true where the site fails
    mask_bed: str = ""  # soft-filter by region instead: "^file" fails outside, "file" inside
    tags: tuple[str, ...] = ()  # header tags ("INFO/DP") the filter reads
    optional: bool = False  # skip (rather than fail) when a tag is not in the header

    def bcftools_args(self) -> list[str]:
        """`bcftools filter` arguments soft-filtering failing sites with this filter's name."""
        test = ["--mask-file", self.mask_bed] if self.mask_bed else ["-e", self.expression]
        return ["-m+", "-s", self.name, *test]


@dataclass(frozen=True)
class GenotypeFilter:
    name: str
    description: str
    field: str  # "FORMAT/GQ" or a derived metric ("VAF", "AB")
    comparison: Comparison
    optional: bool = False

    @property
    def tags(self) -> tuple[str, ...]:
        if self.field in DERIVED:
            return ("FORMAT/AD",)
        return (self.field,)

    def bcftools_expression(self) -> str:
        """The bcftools expression true for genotypes failing this filter."""
        if self.field in DERIVED:
            genotype_class, metric = DERIVED[self.field]
            return f"({genotype_class} & {self.comparison.bcftools(f'({metric})')})"
        return f"({self.comparison.bcftools('FMT/' + self.field.split('/', 1)[1])})"


@dataclass(frozen=True)
class FilterSpec:
    path: str
    site: tuple[SiteFilter, ...] = ()
    genotype: tuple[GenotypeFilter, ...] = ()
    skipped: tuple[str, ...] = field(default=())

    @property
    def genotype_screen(self) -> str:
        """bcftools expression true at records where any genotype fails any genotype filter."""
        return " || ".join(item.bcftools_expression() for item in self.genotype)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.site] + [f.name for f in self.genotype]

    def restricted_to(self, header_tags: set[str]) -> FilterSpec:
        """Drop optional filters whose tags the input lacks; fail on required ones."""
        site, genotype, skipped = [], [], list(self.skipped)
        for filters, kept in ((self.site, site), (self.genotype, genotype)):
            for item in filters:
                absent = [tag for tag in item.tags if tag not in header_tags]
                if not absent:
                    kept.append(item)
                elif item.optional:
                    skipped.append(item.name)
                else:
                    raise MissingTagError(item.name, absent[0])
        return FilterSpec(self.path, tuple(site), tuple(genotype), tuple(skipped))


class MissingTagError(VarnodeError):
    def __init__(self, filter_name: str, tag: str):
        super().__init__(f"filter {filter_name} needs {tag}, which the header does not define")
        self.filter_name, self.tag = filter_name, tag


def _comparison(entry: dict[str, Any]) -> Comparison:
    value = entry["value"]
    return Comparison(entry["fail_if"], tuple(value) if isinstance(value, list) else value)


def _site_filter(entry: dict[str, Any], base: Path) -> SiteFilter:
    common = {
        "name": entry["name"],
        "description": entry["description"],
        "optional": entry.get("optional", False),
    }
    if "field" in entry:
        operand = "QUAL" if entry["field"] == "QUAL" else entry["field"].replace("FORMAT/", "FMT/")
        tags = () if entry["field"] == "QUAL" else (entry["field"],)
        return SiteFilter(expression=_comparison(entry).bcftools(operand), tags=tags, **common)
    if "types" in entry:
        expression = " || ".join(f'TYPE="{kind}"' for kind in entry["types"])
        return SiteFilter(expression=expression, **common)
    if "expression" in entry:
        tags = tuple(
            dict.fromkeys(
                f"{'INFO' if kind == 'INFO' else 'FORMAT'}/{tag}"
                for kind, tag in TAG_IN_EXPRESSION.findall(entry["expression"])
            )
        )
        return SiteFilter(expression=entry["expression"], tags=tags, **common)
    outside = "outside_bed" in entry
    bed = base / entry["outside_bed" if outside else "inside_bed"]
    if not bed.is_file():
        raise VarnodeError(f"filter {entry['name']}: BED file {bed} does not exist")
    return SiteFilter(mask_bed=f"{'^' if outside else ''}{bed}", **common)


def load(path: str | Path) -> FilterSpec:
    """Load and validate a filters YAML; BED paths are relative to the YAML's folder."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise VarnodeError(f"{path}: cannot read filters: {error}") from None
    schema = yaml.safe_load(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise VarnodeError(f"{path}: {where}: {errors[0].message}")
    names = [entry["name"] for group in ("site", "genotype") for entry in document.get(group, [])]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise VarnodeError(f"{path}: filter names must be unique; repeated: {duplicates}")
    site = tuple(_site_filter(entry, path.parent) for entry in document.get("site", []))
    genotype = tuple(
        GenotypeFilter(
            name=entry["name"],
            description=entry["description"],
            field=entry["field"],
            comparison=_comparison(entry),
            optional=entry.get("optional", False),
        )
        for entry in document.get("genotype", [])
    )
    return FilterSpec(str(path), site, genotype)
