"""`varnode egress-check DIR`: may this folder leave the node?

It fails, naming file and line, when any file
  - holds a sample name of the cohort (as a whole word, anywhere: headers, paths, text),
  - has a per-sample column or field (VCF FORMAT or sample columns, a Parquet column
    that is not one of the aggregate columns, an INFO field that is not a known aggregate),
  - holds a count under the floor (0 < AC < floor or 0 < AN - AC < floor, in any stratum
    or in what subtracting published strata from their parent reveals),
  - or is not an export payload at all (only the known file kinds may leave: sites VCF,
    Parquet, callable regions, their indexes, manifest.json and a hub's summary.html).

The export runs it as its last step, on the files it is about to publish; operators can
run it alone on any folder before it is sent anywhere.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from varnode.common.atomic import write_text_atomic
from varnode.errors import VarnodeError
from varnode.federation.manifest import MANIFEST
from varnode.federation.sites import ANNOTATION_TAGS, MERGE_TAGS, PARQUET_SCHEMA, WITHHELD
from varnode.federation.strata import Stratum, below_floor, parse_tag, strata_publishable

SITES_SUFFIX = ".sites.vcf.gz"
CALLABLE_SUFFIX = ".callable.bed.gz"
INDEX_SUFFIXES = (f"{SITES_SUFFIX}.tbi", f"{CALLABLE_SUFFIX}.tbi")
# The hub merge's page; a node export has no HTML.
SUMMARY = "summary.html"
VCF_META_KINDS = ("##fileformat=", "##FILTER=", "##INFO=", "##contig=", "##reference=")
SITE_COLUMNS = 8


@dataclass(frozen=True)
class Violation:
    file: str
    line: int | None  # None: the file as a whole
    problem: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        return f"{where}: {self.problem}"


def read_sample_names(path: Path) -> list[str]:
    """Sample names from a sample sheet (column `sample`) or a cohort member table."""
    names = []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            name = line.rstrip("\n").split("\t")[0].strip()
            if number == 1 and name == "sample":
                continue
            if name and not name.startswith("#"):
                names.append(name)
    if not names:
        raise VarnodeError(f"{path}: no sample names")
    return sorted(set(names))


def name_pattern(samples: Iterable[str]) -> re.Pattern[str]:
    """Any of the names as a whole word: not inside a longer run of letters and digits.

    No names (a hub checking another node's export) gives a pattern that never matches.
    """
    names = sorted((name for name in samples if name), key=len, reverse=True)
    if not names:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", errors="replace") as handle:
        yield from handle


def _names_in_lines(path: Path, names: re.Pattern[str]) -> Iterator[Violation]:
    for number, line in enumerate(_lines(path), start=1):
        if match := names.search(line):
            yield Violation(path.name, number, f"sample name {match.group(0)!r}")


def _counts_violation(counts: dict[Stratum, tuple[int, int]], floor: int) -> str | None:
    for stratum, (ac, an) in counts.items():
        if below_floor(ac, an, floor):
            return f"{stratum.label}: AC={ac} AN={an} is below the floor of {floor}"
    if not strata_publishable(counts, floor):
        return f"strata reveal a count below the floor of {floor} by subtraction"
    return None


def _check_vcf(path: Path, floor: int) -> Iterator[Violation]:
    allowed_info = set(ANNOTATION_TAGS) | set(MERGE_TAGS)
    for number, line in enumerate(_lines(path), start=1):
        line = line.rstrip("\n")
        if line.startswith("##"):
            if line.startswith("##FORMAT="):
                yield Violation(path.name, number, "per-sample FORMAT field")
            elif line.startswith("##INFO="):
                tag = re.search(r"ID=([^,>]+)", line)
                tag = tag.group(1) if tag else ""
                if tag not in allowed_info and parse_tag(tag) is None:
                    yield Violation(path.name, number, f"INFO/{tag} is not a known aggregate")
            elif not line.startswith(VCF_META_KINDS):
                yield Violation(path.name, number, f"header line of unknown kind: {line[:60]}")
            continue
        fields = line.split("\t")
        if line.startswith("#"):
            if len(fields) > SITE_COLUMNS:
                yield Violation(path.name, number, f"per-sample columns: {fields[SITE_COLUMNS:]}")
            continue
        if len(fields) > SITE_COLUMNS:
            yield Violation(path.name, number, "per-sample columns in a record")
        if len(fields) < SITE_COLUMNS:
            yield Violation(path.name, number, "truncated record")
            continue
        info = dict(
            item.split("=", 1) if "=" in item else (item, "")
            for item in fields[7].split(";")
            if item != "."
        )
        if fields[6] == WITHHELD and any(parse_tag(tag) for tag in info):
            yield Violation(path.name, number, "withheld site carries counts")
        counts: dict[Stratum, list[int]] = {}
        for tag, value in info.items():
            parsed = parse_tag(tag)
            if parsed is None:
                if tag not in allowed_info:
                    yield Violation(path.name, number, f"INFO/{tag} is not a known aggregate")
                continue
            token, stratum, zygosity = parsed
            if token in ("AC", "AN") and not zygosity:
                try:
                    number_value = int(value)
                except ValueError:
                    yield Violation(path.name, number, f"{tag}={value} is not one integer")
                    continue
                counts.setdefault(stratum, [0, 0])[token == "AN"] = number_value
        problem = _counts_violation({s: (ac, an) for s, (ac, an) in counts.items()}, floor)
        if problem:
            yield Violation(path.name, number, problem)


def _check_callable(path: Path, floor: int) -> Iterator[Violation]:
    header: list[str] = []
    for number, line in enumerate(_lines(path), start=1):
        fields = line.rstrip("\n").split("\t")
        if number == 1:
            header = fields
            parsed = [parse_tag(tag) for tag in header[3:]]
            if header[:3] != ["#CHROM", "START", "END"] or any(
                p is None or p[0] != "AN" for p in parsed
            ):
                yield Violation(path.name, 1, f"columns other than AN strata: {header}")
                return
            strata = [p[1] for p in parsed]
            continue
        if len(fields) != len(header):
            yield Violation(path.name, number, f"expected {len(header)} columns")
            continue
        counts = {s: (0, int(v)) for s, v in zip(strata, fields[3:], strict=True) if v != "."}
        problem = _counts_violation(counts, floor)
        if problem:
            yield Violation(path.name, number, problem)


def _check_parquet(path: Path, floor: int, names: re.Pattern[str]) -> Iterator[Violation]:
    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    extra = [column for column in schema.names if column not in PARQUET_SCHEMA.names]
    if extra:
        yield Violation(path.name, None, f"columns that are not aggregates: {extra}")
    for key, value in (schema.metadata or {}).items():
        text = f"{key.decode(errors='replace')}={value.decode(errors='replace')}"
        if match := names.search(text):
            yield Violation(path.name, None, f"sample name {match.group(0)!r} in metadata")
    rows_before = 0
    site: tuple | None = None
    counts: dict[Stratum, tuple[int, int]] = {}
    first_row = 1
    for batch in parquet.iter_batches(batch_size=65_536):
        # Names: each distinct string of a column is searched once, not once per row.
        for column, values in zip(batch.schema.names, batch.columns, strict=True):
            if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                for value in pc.unique(values).to_pylist():
                    if value is not None and (match := names.search(value)):
                        row = rows_before + pc.index(values, value).as_py() + 1
                        yield Violation(
                            path.name, row, f"sample name {match.group(0)!r} in {column}"
                        )
        table = batch.select([c for c in ("CHROM", "POS", "REF", "ALT") if c in batch.schema.names])
        keys = zip(*table.to_pydict().values(), strict=True) if table.num_columns else None
        populations = (
            batch.column("POPULATION").to_pylist()
            if "POPULATION" in batch.schema.names
            else ["ALL"] * batch.num_rows
        )
        acs = batch.column("AC").fill_null(0).to_pylist()
        ans = batch.column("AN").fill_null(0).to_pylist()
        for index in range(batch.num_rows):
            key = next(keys) if keys is not None else None
            if key != site:
                if counts and (problem := _counts_violation(counts, floor)):
                    yield Violation(path.name, first_row, problem)
                site, counts, first_row = key, {}, rows_before + index + 1
            counts[_population(populations[index])] = (acs[index], ans[index])
        rows_before += batch.num_rows
    if counts and (problem := _counts_violation(counts, floor)):
        yield Violation(path.name, first_row, problem)


@functools.cache
def _population(label: str) -> Stratum:
    parsed = parse_tag(f"AN_{label}") if label != "ALL" else None
    return parsed[1] if parsed else Stratum()


def check_directory(directory: Path, samples: Iterable[str], floor: int) -> list[Violation]:
    """Every violation in `directory` (empty when it may leave the node)."""
    if not directory.is_dir():
        raise VarnodeError(f"{directory}: not a folder")
    names = name_pattern(samples)
    violations: list[Violation] = []
    for path in sorted(directory.iterdir()):
        name = path.name
        if not path.is_file():
            violations.append(Violation(name, None, "not a file (only payload files leave)"))
        elif name in (MANIFEST, SUMMARY):
            violations += _names_in_lines(path, names)
            if name == MANIFEST:
                try:
                    json.loads(path.read_text())
                except json.JSONDecodeError as error:
                    violations.append(Violation(name, error.lineno, "not valid JSON"))
        elif name.endswith(SITES_SUFFIX):
            violations += [*_names_in_lines(path, names), *_check_vcf(path, floor)]
        elif name.endswith(CALLABLE_SUFFIX):
            violations += [*_names_in_lines(path, names), *_check_callable(path, floor)]
        elif name.endswith(".parquet"):
            violations += _check_parquet(path, floor, names)
        elif name.endswith(INDEX_SUFFIXES):
            if match := names.search(gzip.decompress(path.read_bytes()).decode("latin-1")):
                violations.append(Violation(name, None, f"sample name {match.group(0)!r}"))
        else:
            violations.append(Violation(name, None, "not an export payload"))
    return violations


def export_floor(directory: Path, floor: int | None) -> int:
    """The floor to check against: the one given, else the one the manifest records."""
    if floor is not None:
        return floor
    manifest = directory / MANIFEST
    if manifest.is_file():
        return int(json.loads(manifest.read_text())["floor"])
    raise VarnodeError(f"{directory}: no {MANIFEST} to take the floor from; give --floor")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="folder that is to leave the node")
    parser.add_argument(
        "--samples",
        required=True,
        type=Path,
        help="sample sheet or cohort member table: names that must not appear",
    )
    parser.add_argument("--floor", type=int, help="allele-count floor (default: the manifest's)")
    parser.add_argument(
        "--report", type=Path, help="also write the verdict here, only when the folder passes"
    )


def run(args: argparse.Namespace) -> int:
    floor = export_floor(args.directory, args.floor)
    violations = check_directory(args.directory, read_sample_names(args.samples), floor)
    for violation in violations:
        print(f"varnode egress-check: {violation}")
    if violations:
        print(f"varnode egress-check: {args.directory} must NOT leave the node")
        return 1
    verdict = f"varnode egress-check: {args.directory} passes (floor {floor})"
    print(verdict)
    if args.report:
        write_text_atomic(args.report, verdict + "\n")
    return 0
